/* The index backends ad_index_open() chooses from (index/index.c). A new backend adds its
 * constructor here and a line there. */
#ifndef CALLREC_ARCHIVED_INDEX_BACKENDS_H
#define CALLREC_ARCHIVED_INDEX_BACKENDS_H

#include "index/index.h"

/* SQLite in DATA/index.sqlite (index/sqlite*.c): one archive, embedded. */
int ad_index_sqlite_open(const char *data_dir, struct ad_index **out);

#endif
