/** The arithmetic operators PromQL and LogQL share, with Prometheus's semantics (IEEE division, `%` as Go's math.Mod). */
export type ArithOp = '+' | '-' | '*' | '/' | '%' | '^';

export const ARITH_OPS: ReadonlySet<string> = new Set<ArithOp>(['+', '-', '*', '/', '%', '^']);

export function arithmetic(op: ArithOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
  }
}
