/* passwd — password hashes: new ones are yescrypt (libxcrypt's "$y$", its default cost);
 * CKAN's passlib pbkdf2_sha512 hashes ("$pbkdf2-sha512$ROUNDS$SALT$CHECKSUM") are verified too,
 * so that users moved from a CKAN database keep their passwords. Comparisons take the same
 * time wherever the bytes differ. Nothing here logs or keeps a password. */
#ifndef PASSWD_H
#define PASSWD_H
#include "util.h"
#include <stdbool.h>

/* A new yescrypt hash of password (malloc'd); NULL with *err (a static sentence) when the
 * system cannot make one (no entropy, libxcrypt without yescrypt). */
char *pw_hash(const char *password, const char **err) MUSTCHECK;

/* True when password is the one hash was made from. False for a hash of any other form (an
 * empty or locked one, "*", "!": no password logs in). */
bool pw_verify(const char *password, const char *hash) MUSTCHECK;

/* True when hash is of an older form than pw_hash makes (the caller may store a new one after
 * a successful pw_verify). */
bool pw_needs_rehash(const char *hash);

#endif
