/* Stream clock estimation: see drift.h. */
#include "drift.h"

#include <string.h>

void cr_drift_reset(struct cr_drift *d, unsigned nominal)
{
	memset(d, 0, sizeof(*d));
	d->nominal = nominal;
}

/* Least squares over the points with keep[i] set. 0, or -1 when degenerate. */
static int fit_some(const struct cr_drift *d, const unsigned char *keep, double *a, double *b)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < d->n; i++)
		if (keep[i]) {
			mx += d->x[i];
			my += d->y[i];
			n++;
		}
	if (n < 2)
		return -1;
	mx /= n;
	my /= n;
	for (unsigned i = 0; i < d->n; i++)
		if (keep[i]) {
			double dx = d->x[i] - mx;
			sxx += dx * dx;
			sxy += dx * (d->y[i] - my);
		}
	if (sxx <= 0)
		return -1;
	*b = sxy / sxx;
	*a = my - *b * mx;
	return 0;
}

static void fit(struct cr_drift *d)
{
	unsigned char keep[CR_DRIFT_POINTS];
	double a, b;
	unsigned kept = 0;

	memset(keep, 1, sizeof(keep));
	if (fit_some(d, keep, &a, &b))
		return;
	/* A block whose every record was late (the writer stalled for its whole length) is an
	 * outlier still: fit again without what stands out. */
	for (unsigned i = 0; i < d->n; i++) {
		double r = d->y[i] - (a + b * d->x[i]);
		keep[i] = r < CR_DRIFT_OUTLIER_NS && r > -CR_DRIFT_OUTLIER_NS;
		kept += keep[i];
	}
	if (kept >= CR_DRIFT_MIN_POINTS && kept < d->n)
		fit_some(d, keep, &a, &b);
	d->a = a;
	d->b = b;
}

void cr_drift_add(struct cr_drift *d, uint64_t pos, uint64_t t_ns)
{
	uint64_t block = (uint64_t)d->nominal * CR_DRIFT_BLOCK_MS / 1000;

	if (!d->started) {
		d->started = 1;
		d->pos0 = pos;
		d->t0 = t_ns;
		d->bstart = pos;
		d->bn = 0;
		return;
	}
	if (t_ns < d->t0 + CR_DRIFT_WARMUP_NS || pos < d->pos0) {
		d->bstart = pos;
		return;
	}
	double x = (double)(pos - d->pos0), y = (double)(int64_t)(t_ns - d->t0);
	double dev = y - x * 1e9 / d->nominal;
	if (d->bn == 0 || dev < d->bdev) {
		d->bx = x;
		d->by = y;
		d->bdev = dev;
	}
	d->bn++;
	if (pos - d->bstart < block)
		return;
	d->x[d->head] = d->bx;
	d->y[d->head] = d->by;
	d->head = (d->head + 1) % CR_DRIFT_POINTS;
	if (d->n < CR_DRIFT_POINTS)
		d->n++;
	d->bx = d->by = 0;
	d->bn = 0;
	d->bstart = pos;
	if (d->n >= 2)
		fit(d);
}

double cr_drift_time(const struct cr_drift *d, uint64_t pos)
{
	return (double)d->t0 + d->a + d->b * ((double)pos - (double)d->pos0);
}

double cr_drift_rate(const struct cr_drift *d)
{
	if (!cr_drift_valid(d) || d->b <= 0)
		return d->nominal;
	return 1e9 / d->b;
}
