/* callrec's release number. It is set once, as VERSION in the top-level Makefile, which passes
 * it to every compilation as CR_VERSION; every program names itself with it (--version, the
 * HELLO frame's "software", the agent's heartbeat), so all four report the same release. */
#ifndef CALLREC_VERSION_H
#define CALLREC_VERSION_H

#ifndef CR_VERSION
#error "CR_VERSION comes from the Makefile (VERSION := ...): build with make"
#endif

#endif
