// Package protocol is the gateway's wire format (PROTOCOL.md §2, §3, §6):
// command ids, codes, the fixed message strings, the client request
// envelope, the command bodies, and encoders for every frame the server
// sends. It knows nothing of I/O or WebSocket framing: decoders take the
// payload of one complete text message, encoders append a payload to a
// caller's buffer.
//
// # Decoding
//
// [DecodeEnvelope] and the body decoders ([DecodeLogin], [DecodeRefresh],
// [DecodeSend], [DecodeKick]) parse with sonic and are zero-copy on the fast
// path: the strings and raw JSON slices they store may alias the input, so
// they are only valid until the input buffer is reused. Call Clone on the
// result for a copy that outlives the input (credentials handed to another
// goroutine, a message queued for routing). A string that contains escape
// sequences is unescaped into a fresh allocation.
//
// Every decoder returns a *[Error] with code 400 ("bad request: ...") for bad
// input and never panics. Its decisions about hostile input:
//
//   - The input must be one JSON object in valid UTF-8, optionally surrounded
//     by JSON whitespace; anything after it is an error ("invalid JSON").
//   - Raw control characters in strings, bad escapes, NaN, trailing commas and
//     other non-RFC 8259 forms are errors, wherever they occur (also inside
//     body and content).
//   - Nesting deeper than sonic's limit (4096 levels) is an error; it is
//     checked with an explicit stack, never by recursion.
//   - A known key that appears twice is an error ("duplicate key cmd_id");
//     keys are matched case-sensitively; unknown keys are ignored (they must
//     still be valid JSON).
//   - An escaped lone surrogate ("\ud800") in a string field the server reads
//     (user ids, credentials, client_msg_id) is an error. Inside body and
//     content, which are kept as raw JSON and forwarded verbatim, it is kept.
//   - Integers (cmd_id, seq) must be written as JSON integers: 1e3, 1.0 and
//     "7" are not integers; values outside int32 (cmd_id) or int64 (seq) are
//     "out of range".
//   - null counts as absent for every optional field; for content it is a
//     value like any other.
//   - String fields are limited in length (MaxIDLen and friends, counted
//     after unescaping); required ones must not be empty.
//   - A decode error's err_msg names the field or the byte offset, never the
//     input text (which may hold a password).
//
// # Encoding
//
// Every encoder appends to dst and returns the extended slice, so a caller
// can reserve room for a WebSocket frame header in front and build the whole
// frame in one buffer. Field order is fixed (it is the order in PROTOCOL.md),
// so equal inputs give equal bytes. Strings are JSON-escaped: ones that need
// no escaping are copied as they are, the others are quoted by sonic; invalid
// UTF-8 is replaced by U+FFFD so that the output is always a valid text frame.
// Raw JSON arguments (body, content) are embedded verbatim and must be valid
// JSON: the decoders guarantee that for what they return, and the body
// encoders of this package produce it.
//
// # Goroutine safety
//
// All functions may be called from any goroutine at the same time. Values
// (Envelope, Login, Send, ...) are plain data with no synchronisation: one
// goroutine at a time, and no longer than the buffer they alias lives unless
// cloned. The exported *Error values are shared and must not be modified.
package protocol
