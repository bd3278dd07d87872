// The tag search box of the projects and models pages: `key=value` (or a bare key, value empty) into the API's tag
// filter (NamedObjectFilter.tag).
export function tagFilter(text: string): { key: string; value: string } | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const at = trimmed.indexOf("=");
  return at < 0 ? { key: trimmed, value: "" } : { key: trimmed.slice(0, at).trim(), value: trimmed.slice(at + 1).trim() };
}
