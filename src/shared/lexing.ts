/** Where the next token starts: past spaces, tabs, line breaks and `#` comments (PromQL and LogQL alike). */
export function skipSpaceAndComments(src: string, i: number): number {
  for (;;) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else return i;
  }
}
