// Text from a Run reaches the report page only through this (content and quoted attribute values).
import { terminalText } from '../run/sanitize.js';

/** Escape text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  // controls from a Run are shown as text (\x1B), like in the terminal: the file may be cat'ed too
  return terminalText(text, { newlines: true }).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
