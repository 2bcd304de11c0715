/* user_cli — `opendatad user ...`, the operator's commands on users, API tokens and
 * organization memberships: add, list, remove, password, token list|add|revoke,
 * member add|remove. Exit status 0 done, 1 refused (unknown user, organization, token or
 * capacity: a message says which) or the database failed, 2 a usage error. */
#ifndef USER_CLI_H
#define USER_CLI_H

/* argv[0] is "user". */
int user_cli(int argc, char **argv);

#endif
