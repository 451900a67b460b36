/* The flow runtime's plugin contract: the C ABI between a host (a flow engine, the management
 * console, the reference host `flowhost`) and a plugin shared library.
 *
 * Rules that hold for every declaration below:
 * - A plugin exports exactly one symbol, `flow_plugin_entry`; everything else is found through
 *   it by string id with a revision ("connection.smtp/1").
 * - Every struct starts with its size in bytes (`struct_size`) and only ever grows at the end; a
 *   reader uses a field only when `struct_size` covers it, so old and new peers interoperate.
 * - Strings are {data, size} (UTF-8, not NUL-terminated). Integers have fixed widths.
 * - Arrays of structs are passed as arrays of pointers, so each element carries its own
 *   struct_size and a grown struct never changes an array's stride.
 * - Ownership: nothing allocated on one side is freed on the other. Data handed to a callback
 *   (a sink) is valid only during that call; the receiver copies what it keeps. Static strings
 *   of the entry and factories live as long as the library is loaded.
 * - Sinks: each call writes its sink exactly once, with one whole document of the kind the call
 *   documents, on success and on failure alike (FP_INTERNAL included: then the document says
 *   "internal error"). A null sink means the caller does not want the document.
 * - No C++ type and no exception crosses this boundary; every function reports through its
 *   fp_status return value and its document.
 * - Lifecycle: init() first, once per load; after a failed init() the host calls nothing else
 *   (not deinit()) and unloads. deinit() last. A plugin refusing init() logs why at
 *   FP_LOG_ERROR first (init has no sink).
 * - Function pointers within struct_size are never null unless documented as optional.
 * - Thread tags: [thread-safe] may be called from any thread at any time, concurrently;
 *   [main-thread] only from the thread that loaded the plugin; [object] from any thread, but
 *   not concurrently for the same object unless marked [thread-safe].
 *
 * Compiles as C11 and as C++ (checked by the build).
 */
#ifndef FLOWPLUGIN_PLUGIN_H
#define FLOWPLUGIN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FP_ABI_MAJOR 1 /* a different major cannot load */
#define FP_ABI_MINOR 0 /* a newer minor only adds at the end of structs */

typedef struct fp_string {
  const char* data;
  size_t size;
} fp_string;

typedef enum fp_status {
  FP_OK = 0,
  FP_INVALID = 1,     /* the input is invalid; problems were reported */
  FP_REFUSED = 2,     /* valid, but not allowed now (e.g. DynamicConnection when not dynamic) */
  FP_FAILED = 3,      /* the operation ran and failed; its report says why */
  FP_UNSUPPORTED = 4, /* the version, id or field is not known */
  FP_INTERNAL = 5     /* a bug; the error sink has the message */
} fp_status;

typedef enum fp_log_level {
  FP_LOG_TRACE = 0,
  FP_LOG_DEBUG = 1,
  FP_LOG_INFO = 2,
  FP_LOG_WARN = 3,
  FP_LOG_ERROR = 4
} fp_log_level;

/* A receiver of one document (JSON, UTF-8) or message, written once per call. `text` is valid
 * during the call only. */
typedef struct fp_sink {
  uint32_t struct_size;
  void* context;
  void (*write)(void* context, fp_string text);
} fp_sink;

/* Services the host offers the plugin. Appended to only. */
typedef struct fp_host {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  fp_string host_name; /* e.g. "flowhost 0.1.0" */
  void* context;
  /* [thread-safe] A log line. The plugin never passes a secret here. */
  void (*log)(void* context, fp_log_level level, fp_string message);
  /* [thread-safe] Resolves a secret reference ("env:NAME", "file:PATH") into `value`; the
   * host calls value->write once with the secret. Returns FP_OK, FP_UNSUPPORTED for a scheme it
   * does not know, FP_FAILED when the secret is missing (with a message in `error`). */
  fp_status (*resolve_secret)(void* context, fp_string reference, const fp_sink* value,
                              const fp_sink* error);
} fp_host;

/* A byte stream the host provides (a message body, an attachment). It is read only while the
 * call it was passed to runs, but not always on the calling thread: a plugin may read it from
 * its own threads meanwhile (the SMTP plugin does, for a message pipelined behind another one
 * on a busy session), one call at a time. */
typedef struct fp_stream {
  uint32_t struct_size;
  void* context;
  /* [object] Fills up to `capacity` bytes; returns the count, 0 at the end, -1 on error. */
  int64_t (*read)(void* context, void* buffer, size_t capacity);
  /* The size in bytes, or -1 when unknown. */
  int64_t size;
  /* [object] Optional (may be null): starts again from the first byte; returns 0, or -1 when
   * it cannot. */
  int32_t (*rewind)(void* context);
} fp_stream;

typedef struct fp_attachment {
  uint32_t struct_size;
  fp_string file_name;
  fp_string content_type; /* e.g. "application/pdf" */
  const fp_stream* content;
} fp_attachment;

/* One message to send.
 * `message_json`: {"from": {"address": "...", "name": "..."}, "to": [...], "cc": [...],
 *   "bcc": [...], "reply_to": [...], "subject": "...", "text": "...", "html": "...",
 *   "charset": "utf-8" | "iso-2022-jp", "headers": {"X-Name": "value"}}
 * or, with `raw_message` set (a ready-made RFC 5322 message sent as is), only
 *   {"from": {...}, "recipients": ["..."]} for the envelope. */
typedef struct fp_send_request {
  uint32_t struct_size;
  fp_string message_json;
  const fp_attachment* const* attachments; /* attachment_count pointers (null when 0) */
  size_t attachment_count;
  const fp_stream* raw_message; /* may be null */
} fp_send_request;

typedef struct fp_connection fp_connection; /* opaque, owned by the plugin */

/* A connection type ("connection.<type>/<revision>"). All pointers stay valid while loaded. */
typedef struct fp_connection_factory {
  uint32_t struct_size;
  fp_string type_id;      /* "smtp" */
  fp_string display_name; /* "SMTP" */
  fp_string schema_json;  /* JSON Schema 2020-12 of the properties */

  /* [thread-safe] Checks a property set (a JSON object) without any I/O. Writes one JSON array
   * of problems to `problems`: [{"path": "/port", "severity": "error"|"warning"|"note",
   * "message": "..."}]. Returns FP_OK when no problem is an error, else FP_INVALID. */
  fp_status (*validate)(fp_string properties_json, const fp_sink* problems);

  /* [thread-safe] Creates a live connection from a valid property set. On FP_INVALID the
   * problems are written as by validate(). The connection is freed with destroy(). */
  fp_status (*create)(fp_string properties_json, const fp_sink* problems, fp_connection** out);

  /* [thread-safe] Runs the real handshake (connect, TLS, EHLO, authentication, QUIT; POP3
   * first for POP before SMTP) and sends no mail. Writes one JSON report to `report`:
   * {"ok": bool, "status": "OK"|..., "steps": [{"step": "...", "ok": bool, "detail": "..."}],
   *  "message": "...", "transcript": "..."}. Returns FP_OK or FP_FAILED. */
  fp_status (*test)(fp_connection* connection, const fp_sink* report);

  /* [thread-safe] Sends one message; concurrent sends share pooled sessions. Writes one JSON
   * result to `result`: {"status": "OK"|"RETRY"|"FAILED"|"UNCERTAIN", "message_id": "...",
   * "message": "...", "error": "...", "reply": {"code": 250, "enhanced": "2.0.0",
   * "text": "..."}, "recipients": [{"address": "...", "status": "...", "reply": {...}}],
   * "transcript": "..."}. Returns FP_OK when the status is OK, FP_INVALID for bad input,
   * FP_FAILED otherwise. */
  fp_status (*send)(fp_connection* connection, const fp_send_request* request,
                    const fp_sink* result);

  /* [thread-safe] The DynamicConnection hook: replaces the connection's definition with a new
   * property set. Validated in full first; an invalid one changes nothing (FP_INVALID, problems
   * written). Refused (FP_REFUSED, a problem explains) when the current definition's `dynamic`
   * is false. Sends under way finish on the old definition; later sends use the new one. */
  fp_status (*replace_definition)(fp_connection* connection, fp_string properties_json,
                                  const fp_sink* problems);

  /* [thread-safe] Frees the connection; sends under way must have returned. */
  void (*destroy)(fp_connection* connection);
} fp_connection_factory;

/* The one exported symbol's type. */
typedef struct fp_plugin_entry {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  fp_string plugin_id;      /* e.g. "smtp-connection" */
  fp_string plugin_version; /* e.g. "0.1.0" */
  /* [main-thread] Called once before anything else. `host` stays valid until deinit(). Returns
   * FP_UNSUPPORTED when the host's ABI major differs. */
  fp_status (*init)(const fp_host* host);
  /* [main-thread] Called once, last; no other call is running. */
  void (*deinit)(void);
  /* [thread-safe] A factory by id and revision, e.g. "connection.smtp/1"; null when unknown.
   * The returned struct must be cast according to the id's kind. */
  const void* (*get_factory)(fp_string factory_id);
} fp_plugin_entry;

#define FP_ENTRY_SYMBOL "flow_plugin_entry"

#ifdef __cplusplus
}
#endif

#endif /* FLOWPLUGIN_PLUGIN_H */
