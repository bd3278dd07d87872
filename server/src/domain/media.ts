// Pure rules on what an artifact's content type and file name may be, and how they are put in HTTP headers.
// Both come from users and end up in response headers of every download: a value Node refuses in a header
// (non-ASCII, CR/LF) turned each GET into a 500, and a loose content type invites the browser to render it.

/** Longest content type accepted at declaration. */
export const MAX_CONTENT_TYPE_LENGTH = 255;

/** The content type of a resource declared without one, and of any stored value no longer valid. */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

// RFC 9110 §5.6.2 token, §5.6.4 quoted-string (ASCII only: obs-text is obsolete), §8.3.1 media-type with parameters.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED_STRING = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\t \\x21-\\x7e])*"';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED_STRING}))?)*$`);

/** Why a content type is refused, or null when it is a `type/subtype[; name=value]…` of at most 255 characters. */
export function contentTypeProblem(value: string): string | null {
  if (value.length > MAX_CONTENT_TYPE_LENGTH) return `must be at most ${MAX_CONTENT_TYPE_LENGTH} characters (got ${value.length})`;
  if (!MEDIA_TYPE.test(value)) {
    return "must be a media type such as application/octet-stream or text/plain; charset=utf-8 (type/subtype of RFC 9110 token characters, optional ; name=value parameters, ASCII only)";
  }
  return null;
}

/** The Content-Type to send for a stored value: values accepted before this rule existed fall back to the default. */
export function servableContentType(stored: string): string {
  return contentTypeProblem(stored) === null ? stored : DEFAULT_CONTENT_TYPE;
}

// RFC 8187 attr-char: what may stay unencoded in `filename*`.
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 §4.3, RFC 8187), or just
 * `filename="…"` for a printable ASCII name without quotes, backslashes or percent signs: every
 * name survives (模型.onnx, model-🚀.bin), older clients get a readable ASCII approximation, and nothing in the
 * value can end the header or add a parameter.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/gu, "_") || "download";
  // A name that is its own fallback needs no extended form.
  if (fallback === fileName) return `attachment; filename="${fallback}"`;
  // Buffer.from replaces lone surrogates by U+FFFD, so encoding cannot throw.
  const bytes = Buffer.from(fileName, "utf8");
  let encoded = "";
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
