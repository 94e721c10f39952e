/* yaml_text.h - YAML text into a libfyaml document, with the checks libfyaml 0.7.12 needs before and
 * after it parses, and its syntax errors as a line, a column and a reason. MLSys·im's registry and
 * plan readers use it, and so does StaffML's question vault. */
#ifndef MLSYSIM_YAML_TEXT_H
#define MLSYSIM_YAML_TEXT_H

#include <libfyaml.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Offset of the first byte of buf[0..len) that is a NUL or not well-formed UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF included), or len when there is none. Check before
 * parsing: libfyaml 0.7.12 loops forever on some invalid UTF-8 (e.g. the two bytes "%\xf4"). */
size_t ms_yaml_utf8_invalid_at(const char *buf, size_t len);

/* 1-based line of byte `offset` of buf. */
int ms_yaml_line_at(const char *buf, size_t offset);

/* A syntax error: where, and libfyaml's reason without its "error: " prefix ("" when it gave none,
 * as for an empty input). */
typedef struct {
    int line, col; /* 1-based; 1 and 0 when libfyaml named no place */
    char reason[256];
} ms_yaml_error;

/* 1-based line of the first explicit mapping key ('?' then a blank or the line's end, where a node
 * may begin: the line's start, after an indicator '-', ':', '?', ',', '[' or '{', or after an
 * anchor, a tag, an alias or a document marker), 0 when there is none. A '?' inside a plain scalar
 * ("Why? Because"), a quoted one or a comment is text, and so are the lines of a block scalar
 * (after a '|' or '>' header: more indented than it, or blank). libfyaml 0.7.12 writes through a
 * null pointer cleaning up after some explicit keys (found by fuzzing: "? a: \t:", ": ? a: \t:",
 * "a:\t: ? a:\t:"), and no file of the project needs one, so ms_yaml_build refuses them before it
 * parses. */
int ms_yaml_explicit_key_line(const char *buf, size_t len);

/* Builds a document from buf without printing anything. NULL on a syntax error, with *e filled
 * (an explicit '?' key, ms_yaml_explicit_key_line, is one). */
struct fy_document *ms_yaml_build(const char *buf, size_t len, ms_yaml_error *e);

/* 1 when scalar node n is single-quoted and holds the '' escape, which libfyaml 0.7.12 unescapes
 * wrongly (' ''''''a' reads as " ''''") and leaks memory doing (found by fuzzing), or when its
 * source span cannot be told; 0 otherwise. buf/len: the text the document was built from. */
int ms_yaml_quote_escape(struct fy_node *n, const char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
