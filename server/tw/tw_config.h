/* tw_config — the running configuration as the server handed it to the tw family's init,
 * kept apart from the family's descriptor so that its modules read it without depending on
 * the module that lists them. */
#ifndef TW_CONFIG_H
#define TW_CONFIG_H

struct config;

/* Set once by the family's init, before any thread starts. */
void tw_config_set(const struct config *cfg);
const struct config *tw_config(void);

#endif
