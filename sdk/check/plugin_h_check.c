/* Compiled as strict C11 (-std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion
 * -Wstrict-prototypes -Werror): the contract is C. */
#include "flowplugin/plugin.h"

#include <stddef.h>

/* Every struct starts with its size; the layout a C peer sees is the one C++ sees. */
_Static_assert(offsetof(fp_sink, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fp_host, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fp_stream, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fp_attachment, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fp_send_request, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fp_connection_factory, struct_size) == 0, "struct_size first");
_Static_assert(offsetof(fp_plugin_entry, struct_size) == 0, "struct_size first");
_Static_assert(sizeof(fp_status) == sizeof(int), "fp_status is an int-sized enum");

static void check_sink_write(void* context, fp_string text) {
  (void)context;
  (void)text;
}

/* A C plugin could define its entry like this. */
size_t flowplugin_c_check(void);
size_t flowplugin_c_check(void) {
  fp_sink sink = {sizeof(fp_sink), NULL, check_sink_write};
  fp_string text = {"x", 1};
  sink.write(sink.context, text);
  return sizeof(fp_plugin_entry) + sizeof(fp_connection_factory) + sizeof(fp_host) +
         sizeof(fp_send_request) + sizeof(fp_attachment) + sizeof(fp_stream) + sink.struct_size;
}
