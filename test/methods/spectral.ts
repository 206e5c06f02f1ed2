/**
 * The largest singular value of a matrix, computed independently of the code under test: the Gram
 * matrix A A^T (the smaller side) in float64, diagonalised by cyclic Jacobi rotations.
 */
export function largestSingularValue(a: ArrayLike<number>, rows: number, cols: number): number {
  const small = Math.min(rows, cols);
  const at = (i: number, j: number) => (rows <= cols ? a[i * cols + j] : a[j * cols + i]);
  const other = Math.max(rows, cols);
  const g = Array.from({ length: small }, (_, i) =>
    Array.from({ length: small }, (_, j) => {
      let s = 0;
      for (let t = 0; t < other; t++) s += at(i, t) * at(j, t);
      return s;
    }),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < small; p++) for (let q = p + 1; q < small; q++) off += g[p][q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < small; p++) {
      for (let q = p + 1; q < small; q++) {
        if (Math.abs(g[p][q]) < 1e-300) continue;
        const theta = (g[q][q] - g[p][p]) / (2 * g[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < small; r++) {
          const gp = g[r][p];
          const gq = g[r][q];
          g[r][p] = c * gp - s * gq;
          g[r][q] = s * gp + c * gq;
        }
        for (let r = 0; r < small; r++) {
          const gp = g[p][r];
          const gq = g[q][r];
          g[p][r] = c * gp - s * gq;
          g[q][r] = s * gp + c * gq;
        }
      }
    }
  }
  return Math.sqrt(Math.max(...g.map((row, i) => row[i])));
}
