import { describe, expect, it } from 'vitest';

import { CsvParser, parseCsv } from '../../src/data/csv-parser.js';
import { DataError } from '../../src/data/data-errors.js';

const rows = (text: string) => parseCsv(text, 'inline.csv');

describe('parseCsv (RFC 4180)', () => {
  it('splits plain fields and records, with or without a final line break', () => {
    expect(rows('a,b\n1,2\n')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
    expect(rows('a,b\n1,2')).toEqual(rows('a,b\n1,2\n'));
  });

  it('reads quoted fields holding commas, line breaks and escaped quotes', () => {
    const text = 'name,note\n"Smith, J.","said ""hi""\nthen left"\nx,y\n';
    expect(rows(text)).toEqual([
      { fields: ['name', 'note'], line: 1 },
      { fields: ['Smith, J.', 'said "hi"\nthen left'], line: 2 },
      // The embedded line break moves the next record to physical line 4.
      { fields: ['x', 'y'], line: 4 },
    ]);
  });

  it('accepts CRLF line ends, keeps CRLF inside quotes and drops a BOM', () => {
    const text = '\ufeffa,b\r\n"1\r\n2",3\r\n4,5\r\n';
    expect(rows(text)).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1\r\n2', '3'], line: 2 },
      { fields: ['4', '5'], line: 4 },
    ]);
  });

  it('keeps empty fields (missing values) and quoted empty fields, skips blank lines', () => {
    expect(rows('a,b,c\n,,\n\n"",x,\n')).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['', '', ''], line: 2 },
      { fields: ['', 'x', ''], line: 4 },
    ]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = '\ufeffa,"b\r\n""c"""\r\n1,"2,3"\r\n4,5';
    const whole = rows(text);
    for (const size of [1, 2, 3, 5]) {
      const parser = new CsvParser('chunks.csv');
      const records = [];
      for (let i = 0; i < text.length; i += size)
        records.push(...parser.push(text.slice(i, i + size)));
      records.push(...parser.end());
      expect(records).toEqual(whole);
    }
  });

  it('rejects an unterminated quote, naming the line and column where it opened', () => {
    const err = (() => {
      try {
        rows('a,b\n1,"2\n3\n');
      } catch (e) {
        return e;
      }
    })() as DataError;
    expect(err).toBeInstanceOf(DataError);
    expect(err.code).toBe('EF_COMPILE_DATA_PARSE');
    expect(err.message).toMatch(/inline\.csv, line 2, column 2: .*unterminated/);
  });

  it('rejects a quote inside an unquoted field and text after a closing quote', () => {
    expect(() => rows('a,b\n1,2"x\n')).toThrow(/line 2, column 2: a double quote inside/);
    expect(() => rows('a,b\n"1"x,2\n')).toThrow(/line 2, column 1: text after the closing quote/);
  });
});
