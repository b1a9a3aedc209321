/**
 * Where JSON.parse failed, for error messages: V8 names the position only for some
 * errors ("Unexpected token '}', …" has none), so the text is scanned again here. Only
 * runs on text JSON.parse refused; iterative, so deep nesting cannot exhaust the stack.
 */

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;
const ESCAPE = /["\\/bfnrt]|u[0-9a-fA-F]{4}/y;

/** The offset of the first character that makes `text` invalid JSON, or undefined if it is valid. */
export function syntaxErrorOffset(text: string): number | undefined {
  const n = text.length;
  const stack: string[] = [];
  let i = 0;
  let expect: 'value' | 'key' | 'after' = 'value';
  const skip = (): void => {
    for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  };
  /** Reads a string at i; returns false (with i at the bad character) when it is malformed. */
  const string = (): boolean => {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 92) {
        ESCAPE.lastIndex = i + 1;
        if (!ESCAPE.test(text)) return false;
        i = ESCAPE.lastIndex - 1;
      }
    }
    return false;
  };
  const match = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  for (;;) {
    skip();
    if (expect === 'value') {
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c);
        i++;
        skip();
        if (text[i] === (c === '{' ? '}' : ']')) {
          i++;
          stack.pop();
          expect = 'after';
        } else expect = c === '{' ? 'key' : 'value';
        continue;
      }
      if (c === '"' ? !string() : !(match(NUMBER) || match(LITERAL))) return i;
      expect = 'after';
    } else if (expect === 'key') {
      if (text[i] !== '"' || !string()) return i;
      skip();
      if (text[i] !== ':') return i;
      i++;
      expect = 'value';
    } else {
      const top = stack.at(-1);
      if (top === undefined) return i < n ? i : undefined;
      if (text[i] === ',') {
        i++;
        expect = top === '{' ? 'key' : 'value';
      } else if (text[i] === (top === '{' ? '}' : ']')) {
        i++;
        stack.pop();
      } else return i;
    }
  }
}

/** `line L, column C` (both 1-based) of an offset. */
export function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${offset - start + 1}`;
}
