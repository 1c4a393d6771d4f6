/* Pinning the layout of a struct that crosses a process boundary raw (shared memory, a
 * packet of a fixed struct): its size and every member's offset are written down next to the
 * struct, so that a changed field, type or alignment fails the build instead of making two
 * programs built at different times read each other's bytes differently. */
#ifndef CALLREC_PINNED_H
#define CALLREC_PINNED_H

#include <stddef.h>

#define CR_PIN_SIZE(type, bytes) \
	_Static_assert(sizeof(type) == (bytes), "size of " #type " is part of the protocol")
#define CR_PIN_AT(type, member, off)                    \
	_Static_assert(offsetof(type, member) == (off), \
		       #type "." #member " sits at " #off ": part of the protocol")

#endif
