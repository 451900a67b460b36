/* schemas/smtp_properties.h compiled as strict C11 (plugin_tests calls these from C++). */
#include "smtp_properties.h"

#include <string.h>

#define SMTP_CHECK_ENTRY(ident, name, type, section, secret) {name, type, section, secret},

static const struct {
  const char* name;
  int type;
  const char* section;
  int secret;
} entries[] = {SMTP_PROPERTY_LIST(SMTP_CHECK_ENTRY)};

int smtp_properties_c_count(void) { return (int)(sizeof entries / sizeof entries[0]); }

const char* smtp_properties_c_name(int index) { return entries[index].name; }

int smtp_properties_c_is_secret(int index) { return entries[index].secret; }

int smtp_properties_c_defaults_ok(void) {
  return SMTP_DEFAULT_PORT == 25 && SMTP_DEFAULT_POP3_PORT == 110 && SMTP_MAX_PORT == 65535 &&
         strcmp(SMTP_DEFAULT_AUTHENTICATION, SMTP_VALUE_AUTHENTICATION_POP_BEFORE_SMTP) == 0 &&
         SMTP_DEFAULT_APOP == 1 && SMTP_DEFAULT_DYNAMIC == 0 && entries[0].type == SMTP_TYPE_STRING;
}
