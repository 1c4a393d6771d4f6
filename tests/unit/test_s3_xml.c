/* The S3 client's XML reader and the response documents read with it: what real services
 * send (RGW's and AWS's forms), and the hostile or broken input a network can deliver. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../archive/s3/s3_parse.h"
#include "../../archive/s3/s3_xml.h"

#define DOC(s) (s), strlen(s)

/* Records events as "O:path" / "C:path=text" lines. */
struct trace {
	char buf[4096];
	int stop_at; /* event number whose callback returns 7, 0: never */
	int events;
};

static int trace_cb(void *arg, enum s3_xml_event ev, const char *path, const char *text,
		    size_t len)
{
	struct trace *t = arg;
	size_t used = strlen(t->buf);

	assert_int_equal(strlen(text), len);
	if (ev == S3_XML_OPEN)
		snprintf(t->buf + used, sizeof(t->buf) - used, "O:%s\n", path);
	else
		snprintf(t->buf + used, sizeof(t->buf) - used, "C:%s=%s\n", path, text);
	return ++t->events == t->stop_at ? 7 : 0;
}

static int xml(const char *doc, struct trace *t)
{
	memset(t->buf, 0, sizeof(t->buf));
	t->events = 0;
	return s3_xml_parse(doc, strlen(doc), trace_cb, t);
}

static int bad(const char *doc)
{
	struct trace t = { .stop_at = 0 };

	return xml(doc, &t);
}

static void test_xml_events(void **state)
{
	(void)state;
	struct trace t = { 0 };

	assert_int_equal(xml("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<a xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			     "<b>x &amp; y</b><!-- note --><c/><s3:d a='1' b = \"2\">t</s3:d>"
			     "<e><f>1</f>mixed</e></a>\n",
			     &t),
			 0);
	assert_string_equal(t.buf, "O:a\nO:a/b\nC:a/b=x & y\nO:a/c\nC:a/c=\nO:a/d\nC:a/d=t\n"
				   "O:a/e\nO:a/e/f\nC:a/e/f=1\nC:a/e=\nC:a=\n");
}

static void test_xml_entities_and_cdata(void **state)
{
	(void)state;
	struct trace t = { 0 };

	assert_int_equal(xml("<k>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#233;&#x1F600;"
			     "<![CDATA[<raw&>]]></k>",
			     &t),
			 0);
	assert_string_equal(t.buf, "O:k\nC:k=<>&\"'AB\xC3\xA9\xF0\x9F\x98\x80<raw&>\n");
	/* White space and line ends are kept as they are in text. */
	assert_int_equal(xml("<k> a\r\n\tb </k>", &t), 0);
	assert_string_equal(t.buf, "O:k\nC:k= a\r\n\tb \n");
}

static void test_xml_refuses_malformed(void **state)
{
	(void)state;
	assert_int_equal(bad(""), -EBADMSG);
	assert_int_equal(bad("   "), -EBADMSG);
	assert_int_equal(bad("<a>"), -EBADMSG);
	assert_int_equal(bad("<a></b>"), -EBADMSG);
	assert_int_equal(bad("<a><b></a></b>"), -EBADMSG);
	assert_int_equal(bad("<a></a><b></b>"), -EBADMSG);  /* two roots */
	assert_int_equal(bad("x<a></a>"), -EBADMSG);        /* text outside */
	assert_int_equal(bad("<a></a>x"), -EBADMSG);
	assert_int_equal(bad("</a>"), -EBADMSG);
	assert_int_equal(bad("<1a></1a>"), -EBADMSG);
	assert_int_equal(bad("<a>&unknown;</a>"), -EBADMSG); /* only the five predefined */
	assert_int_equal(bad("<a>& </a>"), -EBADMSG);
	assert_int_equal(bad("<a>&#0;</a>"), -EBADMSG);
	assert_int_equal(bad("<a>&#xD800;</a>"), -EBADMSG); /* a surrogate */
	assert_int_equal(bad("<a>&#x110000;</a>"), -EBADMSG);
	assert_int_equal(bad("<a>&#99999999999;</a>"), -EBADMSG);
	assert_int_equal(bad("<a>&#x;</a>"), -EBADMSG);
	assert_int_equal(bad("<a>\x01</a>"), -EBADMSG);
	assert_int_equal(bad("<a b></a>"), -EBADMSG);
	assert_int_equal(bad("<a b=c></a>"), -EBADMSG);
	assert_int_equal(bad("<a b=\"c></a>"), -EBADMSG);
	assert_int_equal(bad("<a b=\"<\"></a>"), -EBADMSG);
	assert_int_equal(bad("<a b=\"1\"c=\"2\"></a>"), -EBADMSG);
	assert_int_equal(bad("<a><!-- open </a>"), -EBADMSG);
	assert_int_equal(bad("<a><![CDATA[ open </a>"), -EBADMSG);
	assert_int_equal(bad("<?xml version=\"1.0\""), -EBADMSG);
	assert_int_equal(bad("<![CDATA[x]]><a/>"), -EBADMSG);
	/* No DTD, hence no entity expansion ("billion laughs") and no external entities. */
	assert_int_equal(bad("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>"), -EBADMSG);
	assert_int_equal(bad("<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>"), -EBADMSG);
	/* A NUL byte inside the buffer is data, and refused as such. */
	assert_int_equal(s3_xml_parse("<a>\0</a>", 8, trace_cb, &(struct trace){ 0 }), -EBADMSG);
}

static void test_xml_limits(void **state)
{
	(void)state;
	char doc[2 * S3_XML_TEXT_MAX + 256];
	size_t o = 0;

	/* S3_XML_DEPTH levels are fine, one more is not. */
	for (int i = 0; i < S3_XML_DEPTH; i++)
		o += (size_t)sprintf(doc + o, "<e>");
	for (int i = 0; i < S3_XML_DEPTH; i++)
		o += (size_t)sprintf(doc + o, "</e>");
	assert_int_equal(bad(doc), 0);
	o = 0;
	for (int i = 0; i <= S3_XML_DEPTH; i++)
		o += (size_t)sprintf(doc + o, "<e>");
	for (int i = 0; i <= S3_XML_DEPTH; i++)
		o += (size_t)sprintf(doc + o, "</e>");
	assert_int_equal(bad(doc), -EBADMSG);

	/* Text up to S3_XML_TEXT_MAX bytes. */
	strcpy(doc, "<t>");
	memset(doc + 3, 'x', S3_XML_TEXT_MAX);
	strcpy(doc + 3 + S3_XML_TEXT_MAX, "</t>");
	assert_int_equal(bad(doc), 0);
	strcpy(doc, "<t>");
	memset(doc + 3, 'x', S3_XML_TEXT_MAX + 1);
	strcpy(doc + 4 + S3_XML_TEXT_MAX, "</t>");
	assert_int_equal(bad(doc), -EBADMSG);
	/* Long mixed content is not stored, so not limited. */
	strcpy(doc, "<t><c/>");
	memset(doc + 7, 'x', S3_XML_TEXT_MAX + 1);
	strcpy(doc + 8 + S3_XML_TEXT_MAX, "</t>");
	assert_int_equal(bad(doc), 0);

	/* A path longer than S3_XML_PATH_MAX. */
	o = (size_t)sprintf(doc, "<a>");
	o += (size_t)sprintf(doc + o, "<");
	memset(doc + o, 'n', S3_XML_PATH_MAX);
	o += S3_XML_PATH_MAX;
	o += (size_t)sprintf(doc + o, "/></a>");
	assert_int_equal(bad(doc), -EBADMSG);
}

static void test_xml_callback_stops(void **state)
{
	(void)state;
	struct trace t = { .stop_at = 2 };

	assert_int_equal(xml("<a><b>1</b><c>2</c></a>", &t), 7);
	assert_string_equal(t.buf, "O:a\nO:a/b\n");
}

/* --- documents ---------------------------------------------------------------------------- */

static void test_error_documents(void **state)
{
	(void)state;
	struct s3_error_doc e;
	const char *rgw = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
			  "<Message>forbidden by object lock</Message><BucketName>b</BucketName>"
			  "<RequestId>tx000001-default</RequestId><HostId>4114-default</HostId>"
			  "</Error>";
	char longmsg[1024];

	assert_int_equal(s3_parse_error(rgw, strlen(rgw), &e), 0);
	assert_string_equal(e.code, "AccessDenied");
	assert_string_equal(e.message, "forbidden by object lock");
	assert_string_equal(e.request_id, "tx000001-default");
	/* RGW leaves Message out for some codes. */
	assert_int_equal(s3_parse_error(DOC("<Error><Code>NoSuchKey</Code></Error>"), &e), 0);
	assert_string_equal(e.code, "NoSuchKey");
	assert_string_equal(e.message, "");
	/* Not an error document, or one without a code. */
	assert_int_equal(s3_parse_error(DOC("<Other><Code>X</Code></Other>"), &e), -EBADMSG);
	assert_int_equal(s3_parse_error(DOC("<Error><Message>m</Message></Error>"), &e), -EBADMSG);
	assert_int_equal(s3_parse_error(DOC("<html>502 Bad Gateway</html>"), &e), -EBADMSG);
	assert_string_equal(e.code, "");
	/* A message longer than the buffer is cut, not refused: the code still counts. */
	snprintf(longmsg, sizeof(longmsg), "<Error><Code>SlowDown</Code><Message>%0600d</Message></Error>", 0);
	assert_int_equal(s3_parse_error(longmsg, strlen(longmsg), &e), 0);
	assert_string_equal(e.code, "SlowDown");
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
}

static void test_legal_hold_and_retention(void **state)
{
	(void)state;
	const char *on = "<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			 "<Status>ON</Status></LegalHold>";
	const char *ret = "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			  "<Mode>COMPLIANCE</Mode><RetainUntilDate>2031-05-01T12:00:00.000Z"
			  "</RetainUntilDate></Retention>";
	bool hold = false, enabled = false;
	struct s3_lock lock;

	assert_int_equal(s3_parse_legal_hold(on, strlen(on), &hold), 0);
	assert_true(hold);
	assert_int_equal(s3_parse_legal_hold(DOC("<LegalHold><Status>OFF</Status></LegalHold>"), &hold), 0);
	assert_false(hold);
	assert_int_equal(s3_parse_legal_hold(DOC("<LegalHold><Status>on</Status></LegalHold>"), &hold), -EBADMSG);
	assert_int_equal(s3_parse_legal_hold(DOC("<LegalHold></LegalHold>"), &hold), -EBADMSG);
	assert_int_equal(s3_parse_legal_hold(DOC("<Retention><Status>ON</Status></Retention>"), &hold), -EBADMSG);
	assert_int_equal(s3_parse_legal_hold(DOC("<LegalHold><Status>ON</Status><Status>OFF</Status></LegalHold>"), &hold), -EBADMSG);

	assert_int_equal(s3_parse_retention(ret, strlen(ret), &lock), 0);
	assert_int_equal(lock.mode, S3_LOCK_COMPLIANCE);
	assert_int_equal(lock.retain_until, 1935403200);
	assert_int_equal(s3_parse_retention(DOC("<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>"
					    "2031-05-01T12:00:00Z</RetainUntilDate></Retention>"), &lock), 0);
	assert_int_equal(lock.mode, S3_LOCK_GOVERNANCE);
	assert_int_equal(s3_parse_retention(DOC("<Retention><Mode>COMPLIANCE</Mode></Retention>"), &lock),
			 -EBADMSG);
	assert_int_equal(s3_parse_retention(DOC("<Retention><Mode>FOREVER</Mode><RetainUntilDate>"
					    "2031-05-01T12:00:00Z</RetainUntilDate></Retention>"), &lock), -EBADMSG);
	assert_int_equal(s3_parse_retention(DOC("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>"
					    "tomorrow</RetainUntilDate></Retention>"), &lock), -EBADMSG);

	assert_int_equal(s3_parse_object_lock_config(DOC("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
				 "</ObjectLockConfiguration>"), &enabled), 0);
	assert_true(enabled);
	assert_int_equal(s3_parse_object_lock_config(DOC("<ObjectLockConfiguration/>"), &enabled), 0);
	assert_false(enabled);
}

struct seen {
	int n, stop_after;
	char lines[1024];
};

static int seen_cb(void *arg, const struct s3_version *v)
{
	struct seen *s = arg;
	size_t used = strlen(s->lines);

	snprintf(s->lines + used, sizeof(s->lines) - used, "%s|%s|%s|%s|%llu|%lld|%s\n", v->key,
		 v->version_id, v->is_latest ? "latest" : "old", v->delete_marker ? "marker" : "obj",
		 (unsigned long long)v->size, (long long)v->last_modified, v->etag);
	return ++s->n == s->stop_after ? 1 : 0;
}

static const char listing[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>b</Name><Prefix>calls/</Prefix><KeyMarker></KeyMarker><VersionIdMarker>"
	"</VersionIdMarker><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
	"<NextKeyMarker>calls/b</NextKeyMarker><NextVersionIdMarker>v3</NextVersionIdMarker>"
	"<DeleteMarker><Key>calls/a &amp; b</Key><VersionId>m1</VersionId><IsLatest>true</IsLatest>"
	"<LastModified>2026-12-03T10:00:00.000Z</LastModified><Owner><ID>o</ID></Owner>"
	"</DeleteMarker>"
	"<Version><Key>calls/a &amp; b</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>"
	"<LastModified>2026-12-03T09:59:59.000Z</LastModified><ETag>&quot;e1&quot;</ETag>"
	"<Size>18446744073709551615</Size><StorageClass>STANDARD</StorageClass></Version>"
	"<Version><Key>calls/b</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest>"
	"<Size>0</Size></Version>"
	"</ListVersionsResult>";

static void test_version_listing(void **state)
{
	(void)state;
	struct s3_versions_page page;
	struct seen s = { 0 };

	assert_int_equal(s3_parse_versions(listing, strlen(listing), &page, seen_cb, &s), 0);
	assert_string_equal(s.lines,
			    "calls/a & b|m1|latest|marker|0|1796292000|\n"
			    "calls/a & b|v1|old|obj|18446744073709551615|1796291999|\"e1\"\n"
			    "calls/b|v3|latest|obj|0|0|\n");
	assert_true(page.truncated);
	assert_int_equal(page.entries, 3);
	assert_string_equal(page.next_key_marker, "calls/b");
	assert_string_equal(page.next_version_id_marker, "v3");

	/* The callback stops the parse: its value comes back. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(s3_parse_versions(listing, strlen(listing), &page, seen_cb, &s), 1);
	assert_int_equal(s.n, 2);

	/* The last page. */
	assert_int_equal(s3_parse_versions(DOC("<ListVersionsResult><IsTruncated>false</IsTruncated>"
					   "</ListVersionsResult>"), &page, seen_cb, &s), 0);
	assert_false(page.truncated);
	assert_int_equal(page.entries, 0);
}

/* Replaces the first occurrence of from in the listing with to, and parses that. */
static int listing_with(const char *from, const char *to)
{
	char doc[4096];
	const char *at = strstr(listing, from);
	struct s3_versions_page page;

	assert_non_null(at);
	snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - listing), listing, to, at + strlen(from));
	return s3_parse_versions(doc, strlen(doc), &page, NULL, NULL);
}

static void test_version_listing_refused(void **state)
{
	(void)state;
	char longkey[S3_KEY_MAX + 64];

	assert_int_equal(listing_with("", ""), 0);
	assert_int_equal(listing_with("<VersionId>v1</VersionId>", ""), -EBADMSG);
	assert_int_equal(listing_with("<Key>calls/b</Key>", ""), -EBADMSG);
	assert_int_equal(listing_with("<VersionId>v1</VersionId>", "<VersionId></VersionId>"), -EBADMSG);
	assert_int_equal(listing_with("<Key>calls/b</Key>", "<Key>x</Key><Key>y</Key>"), -EBADMSG);
	assert_int_equal(listing_with("18446744073709551615", "18446744073709551616"), -EBADMSG);
	assert_int_equal(listing_with("<Size>0</Size>", "<Size>-1</Size>"), -EBADMSG);
	assert_int_equal(listing_with("<IsLatest>false</IsLatest>", "<IsLatest>no</IsLatest>"), -EBADMSG);
	assert_int_equal(listing_with("2026-12-03T09:59:59.000Z", "yesterday"), -EBADMSG);
	assert_int_equal(listing_with("<IsTruncated>true</IsTruncated>", "<IsTruncated>1</IsTruncated>"),
			 -EBADMSG);
	/* More pages, but no say where: a client would loop or stop early. */
	assert_int_equal(listing_with("<NextKeyMarker>calls/b</NextKeyMarker>", ""), -EBADMSG);
	assert_int_equal(listing_with("ListVersionsResult xmlns", "ListBucketResult xmlns"), -EBADMSG);
	/* A key longer than S3 allows. */
	memset(longkey, 'k', S3_KEY_MAX + 1);
	longkey[S3_KEY_MAX + 1] = '\0';
	char to[S3_KEY_MAX + 128];
	snprintf(to, sizeof(to), "<Key>%s</Key>", longkey);
	assert_int_equal(listing_with("<Key>calls/b</Key>", to), -EBADMSG);
	longkey[S3_KEY_MAX] = '\0';
	snprintf(to, sizeof(to), "<Key>%s</Key>", longkey);
	assert_int_equal(listing_with("<Key>calls/b</Key>", to), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_events),
		cmocka_unit_test(test_xml_entities_and_cdata),
		cmocka_unit_test(test_xml_refuses_malformed),
		cmocka_unit_test(test_xml_limits),
		cmocka_unit_test(test_xml_callback_stops),
		cmocka_unit_test(test_error_documents),
		cmocka_unit_test(test_legal_hold_and_retention),
		cmocka_unit_test(test_version_listing),
		cmocka_unit_test(test_version_listing_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
