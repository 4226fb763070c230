import { dataErrorAt } from './data-errors.js';

/** One CSV record: its fields (quotes removed) and the 1-based line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

type ParserState = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const BOM = '\ufeff';

/**
 * An incremental RFC 4180 CSV parser: feed it text chunks of any size (a record or a quoted
 * field may span chunks) and collect whole records. Written here because the compiler takes no
 * CSV dependency for the handful of rules evaluation data needs.
 *
 * Rules: fields are separated by commas; a field may be wrapped in double quotes, and then may
 * hold commas, line breaks and `""` (an escaped quote); records end with CRLF, LF or a lone CR;
 * a leading UTF-8 byte order mark is dropped; blank lines are skipped (as pandas does). A quote
 * inside an unquoted field, text after a closing quote and an unterminated quote are errors
 * (EF_COMPILE_DATA_PARSE naming line and column), never guessed at.
 *
 * @example
 * const parser = new CsvParser('eval.csv');
 * const records = [...parser.push('a,"b,\n c"\r\n1,2'), ...parser.end()];
 * // -> [{ fields: ['a', 'b,\n c'], line: 1 }, { fields: ['1', '2'], line: 3 }]
 */
export class CsvParser {
  readonly #file: string;
  #state: ParserState = 'fieldStart';
  #fields: string[] = [];
  #field = '';
  #line = 1;
  #recordLine = 1;
  #fieldLine = 1;
  // A CR was the last character: a following LF belongs to the same line break.
  #afterCr = false;
  #started = false;

  constructor(file: string) {
    this.#file = file;
  }

  /** Parses one more chunk and returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    const out: CsvRecord[] = [];
    // Runs of ordinary characters are copied with one slice, not char by char.
    let segment = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const afterCr = this.#afterCr;
      this.#afterCr = c === CR;
      switch (this.#state) {
        case 'fieldStart':
          if (c === QUOTE) {
            this.#state = 'quoted';
            this.#fieldLine = this.#line;
            segment = i + 1;
          } else if (c === COMMA) {
            this.#fields.push('');
            segment = i + 1;
          } else if (c === LF && afterCr) {
            segment = i + 1; // the LF of a CRLF whose CR already ended the record
          } else if (c === CR || c === LF) {
            this.#endRecord(out);
            segment = i + 1;
          } else {
            this.#state = 'unquoted';
            segment = i;
          }
          break;
        case 'unquoted':
          if (c === COMMA) {
            this.#fields.push(this.#field + text.slice(segment, i));
            this.#field = '';
            this.#state = 'fieldStart';
            segment = i + 1;
          } else if (c === CR || c === LF) {
            this.#field += text.slice(segment, i);
            this.#endRecord(out);
            segment = i + 1;
          } else if (c === QUOTE) {
            throw this.#error('a double quote inside an unquoted field (quote the whole field)');
          }
          break;
        case 'quoted':
          if (c === QUOTE) {
            this.#field += text.slice(segment, i);
            this.#state = 'quoteInQuoted';
            segment = i + 1;
          } else if (c === CR || (c === LF && !afterCr)) {
            this.#line++;
          }
          break;
        case 'quoteInQuoted':
          if (c === QUOTE) {
            this.#state = 'quoted'; // "" is an escaped quote: keep this one
            segment = i;
          } else if (c === COMMA) {
            this.#fields.push(this.#field);
            this.#field = '';
            this.#state = 'fieldStart';
            segment = i + 1;
          } else if (c === CR || c === LF) {
            this.#endRecord(out);
            segment = i + 1;
          } else {
            throw this.#error('text after the closing quote of a quoted field');
          }
          break;
      }
    }
    if (this.#state === 'unquoted' || this.#state === 'quoted') {
      this.#field += text.slice(segment);
    }
    return out;
  }

  /** Ends the input and returns the last record, if the text did not end with a line break. */
  end(): CsvRecord[] {
    if (this.#state === 'quoted') {
      throw dataErrorAt(
        'EF_COMPILE_DATA_PARSE',
        { file: this.#file, line: this.#fieldLine, column: this.#fields.length + 1 },
        'a quoted field is never closed (unterminated double quote)',
      );
    }
    const out: CsvRecord[] = [];
    if (this.#state !== 'fieldStart' || this.#fields.length > 0) this.#endRecord(out);
    return out;
  }

  #endRecord(out: CsvRecord[]): void {
    this.#fields.push(this.#field);
    const fields = this.#fields;
    const blank = fields.length === 1 && fields[0] === '' && this.#state === 'fieldStart';
    if (!blank) out.push({ fields, line: this.#recordLine });
    this.#fields = [];
    this.#field = '';
    this.#state = 'fieldStart';
    this.#line++;
    this.#recordLine = this.#line;
  }

  #error(why: string): Error {
    return dataErrorAt(
      'EF_COMPILE_DATA_PARSE',
      { file: this.#file, line: this.#line, column: this.#fields.length + 1 },
      why,
    );
  }
}

/**
 * Parses a whole CSV text at once.
 *
 * @example
 * parseCsv('x,label\n1,0\n', 'inline.csv'); // -> [{ fields: ['x', 'label'], line: 1 }, ...]
 */
export function parseCsv(text: string, file = '<csv>'): CsvRecord[] {
  const parser = new CsvParser(file);
  return [...parser.push(text), ...parser.end()];
}
