/* A minimal, strict XML reader for S3 responses. See s3_xml.h. */
#include "s3_xml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct open_el {
	const char *raw;  /* the name as written (with any prefix), in doc */
	size_t raw_len;
	size_t path_len; /* length of the path up to and including this element */
	bool has_child;
};

struct xml {
	const char *doc;
	size_t len, pos;
	s3_xml_fn *fn;
	void *arg;
	struct open_el el[S3_XML_DEPTH];
	int depth;
	bool root_done;
	char path[S3_XML_PATH_MAX];
	char text[S3_XML_TEXT_MAX + 1];
	size_t text_len;
};

static bool name_start(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == ':' ||
	       ch >= 0x80;
}

static bool name_char(unsigned char ch)
{
	return name_start(ch) || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
}

static bool space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static bool starts(const struct xml *x, const char *s)
{
	size_t n = strlen(s);

	return x->len - x->pos >= n && memcmp(x->doc + x->pos, s, n) == 0;
}

/* Moves past the first occurrence of end; false if there is none. */
static bool skip_past(struct xml *x, const char *end)
{
	size_t n = strlen(end);

	for (size_t i = x->pos; i + n <= x->len; i++) {
		if (memcmp(x->doc + i, end, n) == 0) {
			x->pos = i + n;
			return true;
		}
	}
	return false;
}

static void skip_space(struct xml *x)
{
	while (x->pos < x->len && space((unsigned char)x->doc[x->pos]))
		x->pos++;
}

static bool read_name(struct xml *x, const char **name, size_t *len)
{
	size_t start = x->pos;

	if (x->pos >= x->len || !name_start((unsigned char)x->doc[x->pos]))
		return false;
	while (x->pos < x->len && name_char((unsigned char)x->doc[x->pos]))
		x->pos++;
	*name = x->doc + start;
	*len = x->pos - start;
	return true;
}

static bool text_add(struct xml *x, const char *s, size_t n)
{
	struct open_el *top = &x->el[x->depth - 1];

	if (top->has_child)
		return true; /* mixed content: not delivered, only checked */
	if (n > S3_XML_TEXT_MAX - x->text_len)
		return false;
	memcpy(x->text + x->text_len, s, n);
	x->text_len += n;
	return true;
}

static bool xml_char(uint32_t cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
	       (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

static size_t utf8_put(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* At '&': decodes one reference into out; false if it is not a valid one. */
static bool entity(struct xml *x, char out[4], size_t *n)
{
	static const struct {
		const char *name;
		char ch;
	} named[] = { { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' } };
	size_t start = x->pos + 1, end = start;
	uint32_t cp = 0;

	while (end < x->len && end - start <= 10 && x->doc[end] != ';')
		end++;
	if (end >= x->len || x->doc[end] != ';' || end == start)
		return false;
	x->pos = end + 1;
	if (x->doc[start] == '#') {
		bool hex = end - start > 1 && x->doc[start + 1] == 'x';
		size_t i = start + 1 + hex;

		if (i == end)
			return false;
		for (; i < end; i++) {
			char ch = x->doc[i];
			uint32_t v;

			if (ch >= '0' && ch <= '9')
				v = (uint32_t)(ch - '0');
			else if (hex && ch >= 'a' && ch <= 'f')
				v = (uint32_t)(ch - 'a' + 10);
			else if (hex && ch >= 'A' && ch <= 'F')
				v = (uint32_t)(ch - 'A' + 10);
			else
				return false;
			cp = cp * (hex ? 16 : 10) + v;
			if (cp > 0x10FFFF)
				return false;
		}
		if (!xml_char(cp))
			return false;
		*n = utf8_put(cp, out);
		return true;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (strlen(named[i].name) == end - start &&
		    memcmp(named[i].name, x->doc + start, end - start) == 0) {
			out[0] = named[i].ch;
			*n = 1;
			return true;
		}
	}
	return false;
}

/* Character data up to the next '<'. */
static int text(struct xml *x)
{
	while (x->pos < x->len && x->doc[x->pos] != '<') {
		unsigned char ch = (unsigned char)x->doc[x->pos];

		if (x->depth == 0) {
			/* Outside the root only white space may appear. */
			if (!space(ch))
				return -EBADMSG;
			x->pos++;
		} else if (ch == '&') {
			char buf[4];
			size_t n;

			if (!entity(x, buf, &n) || !text_add(x, buf, n))
				return -EBADMSG;
		} else if (ch < 0x20 && !space(ch)) {
			return -EBADMSG;
		} else {
			size_t start = x->pos;

			while (x->pos < x->len && x->doc[x->pos] != '<' && x->doc[x->pos] != '&' &&
			       ((unsigned char)x->doc[x->pos] >= 0x20 || space((unsigned char)x->doc[x->pos])))
				x->pos++;
			if (!text_add(x, x->doc + start, x->pos - start))
				return -EBADMSG;
		}
	}
	return 0;
}

static int cdata(struct xml *x)
{
	size_t start = x->pos + 9; /* "<![CDATA[" */

	if (x->depth == 0)
		return -EBADMSG;
	x->pos = start;
	if (!skip_past(x, "]]>"))
		return -EBADMSG;
	for (size_t i = start; i < x->pos - 3; i++) {
		unsigned char ch = (unsigned char)x->doc[i];

		if (ch < 0x20 && !space(ch))
			return -EBADMSG;
	}
	return text_add(x, x->doc + start, x->pos - 3 - start) ? 0 : -EBADMSG;
}

static int emit(struct xml *x, enum s3_xml_event ev, bool with_text)
{
	x->text[with_text ? x->text_len : 0] = '\0';
	return x->fn(x->arg, ev, x->path, x->text, with_text ? x->text_len : 0);
}

static void pop(struct xml *x)
{
	x->depth--;
	x->text_len = 0;
	if (x->depth == 0)
		x->root_done = true;
	else
		x->path[x->el[x->depth - 1].path_len] = '\0';
}

/* Skips the attributes of a start tag; leaves pos at '>' or "/>". */
static int attributes(struct xml *x)
{
	for (;;) {
		const char *name;
		size_t nlen;
		char quote;

		bool had_space = x->pos < x->len && space((unsigned char)x->doc[x->pos]);

		skip_space(x);
		if (x->pos >= x->len)
			return -EBADMSG;
		if (x->doc[x->pos] == '>' || starts(x, "/>"))
			return 0;
		if (!had_space || !read_name(x, &name, &nlen))
			return -EBADMSG;
		skip_space(x);
		if (x->pos >= x->len || x->doc[x->pos] != '=')
			return -EBADMSG;
		x->pos++;
		skip_space(x);
		if (x->pos >= x->len || (x->doc[x->pos] != '"' && x->doc[x->pos] != '\''))
			return -EBADMSG;
		quote = x->doc[x->pos++];
		while (x->pos < x->len && x->doc[x->pos] != quote) {
			if (x->doc[x->pos] == '<')
				return -EBADMSG;
			x->pos++;
		}
		if (x->pos >= x->len)
			return -EBADMSG;
		x->pos++;
	}
}

static int start_tag(struct xml *x)
{
	const char *name, *local;
	size_t nlen, llen, plen;
	struct open_el *e;
	int rc;

	x->pos++; /* '<' */
	if (x->root_done || x->depth >= S3_XML_DEPTH || !read_name(x, &name, &nlen))
		return -EBADMSG;
	rc = attributes(x);
	if (rc)
		return rc;
	local = memrchr(name, ':', nlen);
	local = local ? local + 1 : name;
	llen = nlen - (size_t)(local - name);
	if (llen == 0)
		return -EBADMSG;
	plen = x->depth ? x->el[x->depth - 1].path_len : 0;
	if (plen + (plen > 0) + llen >= sizeof(x->path))
		return -EBADMSG;
	if (plen > 0)
		x->path[plen++] = '/';
	memcpy(x->path + plen, local, llen);
	x->path[plen + llen] = '\0';
	if (x->depth > 0)
		x->el[x->depth - 1].has_child = true;
	e = &x->el[x->depth++];
	e->raw = name;
	e->raw_len = nlen;
	e->path_len = plen + llen;
	e->has_child = false;
	x->text_len = 0;
	rc = emit(x, S3_XML_OPEN, false);
	if (rc)
		return rc;
	if (starts(x, "/>")) {
		x->pos += 2;
		rc = emit(x, S3_XML_CLOSE, true);
		pop(x);
		return rc;
	}
	x->pos++; /* '>' */
	return 0;
}

static int end_tag(struct xml *x)
{
	const char *name;
	size_t nlen;
	struct open_el *e;
	int rc;

	x->pos += 2; /* "</" */
	if (x->depth == 0 || !read_name(x, &name, &nlen))
		return -EBADMSG;
	e = &x->el[x->depth - 1];
	if (nlen != e->raw_len || memcmp(name, e->raw, nlen) != 0)
		return -EBADMSG;
	skip_space(x);
	if (x->pos >= x->len || x->doc[x->pos] != '>')
		return -EBADMSG;
	x->pos++;
	rc = emit(x, S3_XML_CLOSE, !e->has_child);
	x->depth--;
	x->text_len = 0;
	if (x->depth == 0)
		x->root_done = true;
	else
		x->path[x->el[x->depth - 1].path_len] = '\0';
	return rc;
}

int s3_xml_parse(const char *doc, size_t len, s3_xml_fn *fn, void *arg)
{
	struct xml x = { .doc = doc, .len = len, .fn = fn, .arg = arg };
	int rc;

	if (len >= 3 && memcmp(doc, "\xEF\xBB\xBF", 3) == 0)
		x.pos = 3;
	while (x.pos < x.len) {
		if (x.doc[x.pos] != '<')
			rc = text(&x);
		else if (starts(&x, "<?"))
			rc = skip_past(&x, "?>") ? 0 : -EBADMSG;
		else if (starts(&x, "<!--"))
			rc = skip_past(&x, "-->") ? 0 : -EBADMSG;
		else if (starts(&x, "<![CDATA["))
			rc = cdata(&x);
		else if (starts(&x, "<!"))
			rc = -EBADMSG; /* DOCTYPE and its entities: never needed, never accepted */
		else if (starts(&x, "</"))
			rc = end_tag(&x);
		else
			rc = start_tag(&x);
		if (rc)
			return rc;
	}
	return x.depth == 0 && x.root_done ? 0 : -EBADMSG;
}
