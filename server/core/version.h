/* version — the program's version: the top-level VERSION file, given by the Makefile. */
#ifndef VERSION_H
#define VERSION_H

#ifndef OPENDATAD_VERSION
#define OPENDATAD_VERSION "0.1.0"
#endif

#endif
