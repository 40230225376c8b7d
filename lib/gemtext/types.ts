/**
 * The gemtext document model: a closed union of line types, one value per source line.
 *
 * @module
 */

/** A plain text line (also every blank line and every line no other rule matches). */
export interface GemtextTextLine {
  /** Discriminant. */
  type: "text";
  /** The whole line, without its line ending. */
  text: string;
}

/** A link line: `=>` then optional whitespace, a URL, and an optional label. */
export interface GemtextLinkLine {
  /** Discriminant. */
  type: "link";
  /** The URL exactly as written (absolute or relative); never empty, never contains SP or TAB. */
  url: string;
  /**
   * The label: the rest of the line after the URL and its separating whitespace, without
   * trailing SP, TAB or CR. Absent when the line has none.
   */
  label?: string;
}

/** A heading line: `#`, `##` or `###`, optional whitespace, then the heading text. */
export interface GemtextHeadingLine {
  /** Discriminant. */
  type: "heading";
  /** 1, 2 or 3: the number of leading `#` (a fourth `#` belongs to the text). */
  level: 1 | 2 | 3;
  /** The heading text after the hashes and any whitespace that follows them. */
  text: string;
}

/** An unordered list item: a line starting with `* ` (asterisk and space). */
export interface GemtextListLine {
  /** Discriminant. */
  type: "list";
  /** The item text after `* ` and any further leading whitespace. */
  text: string;
}

/** A quote line: a line starting with `>`. */
export interface GemtextQuoteLine {
  /** Discriminant. */
  type: "quote";
  /** The quoted text after `>` and any leading whitespace. */
  text: string;
}

/** A preformat toggle line: three backticks at the start of a line. Not rendered itself. */
export interface GemtextPreformatToggleLine {
  /** Discriminant. */
  type: "preformat-toggle";
  /**
   * Alt text after the backticks of an opening toggle (trimmed). Absent when empty, and always
   * absent on closing toggles, whose trailing text the specification says to ignore.
   */
  alt?: string;
}

/** A line inside a preformatted block, kept exactly as written. */
export interface GemtextPreformattedLine {
  /** Discriminant. */
  type: "preformatted";
  /** The line verbatim (only the line ending removed). */
  text: string;
}

/** One line of a gemtext document. The union is closed: these seven types are all there are. */
export type GemtextLine =
  | GemtextTextLine
  | GemtextLinkLine
  | GemtextHeadingLine
  | GemtextListLine
  | GemtextQuoteLine
  | GemtextPreformatToggleLine
  | GemtextPreformattedLine;

/** The name of a line type: `"text"`, `"link"`, `"heading"` and so on. */
export type GemtextLineType = GemtextLine["type"];

/** A parsed gemtext document: its lines in order. */
export type GemtextDocument = GemtextLine[];
