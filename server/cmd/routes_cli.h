/* routes_cli — `opendatad routes`: print the route table (methods, pattern with "{sru}" for the
 * Taiwan service root and "{x}" for a path parameter, API family "ckan" or "tw") and the CKAN
 * action names (post_only: GET answers 400) as one JSON object. */
#ifndef ROUTES_CLI_H
#define ROUTES_CLI_H
#include <stddef.h>
#include <stdio.h>

struct srv_family;

/* Print the JSON of the families given to f; the exit status (1 when writing failed). */
int routes_print(FILE *f, const struct srv_family *const *fams, size_t nfams);

#endif
