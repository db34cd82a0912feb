import { expect, test } from 'vitest';
import { goBounds, goFloat } from '../../src/etcd/metrics.js';

// client_golang writes bucket bounds with Go's strconv.FormatFloat(x, 'g', -1, 64); these are Go's outputs.
test('bounds are written as Go writes them: shortest digits, exponent form below 1e-4 and from 1e6', () => {
  const go: [number, string][] = [
    [1, '1'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1e-7, '1e-07'], [0.005, '0.005'], [2.5, '2.5'], [524288, '524288'], [100000, '100000'],
    [1e6, '1e+06'], [1048576, '1.048576e+06'], [8388608, '8.388608e+06'], [123456789, '1.23456789e+08'], [1e21, '1e+21'], [1.5e100, '1.5e+100'],
    [-2097152, '-2.097152e+06'], [0, '0'],
  ];
  expect(go.map(([x]) => goFloat(x))).toEqual(go.map(([, s]) => s));
});

test('a page\'s `le` labels are rewritten, and nothing else: not another label ending in "le", not +Inf', () => {
  const page = 'x_bucket{le="1048576"} 3\nx_bucket{le="+Inf"} 4\ny_bucket{kind="a",le="0.00001"} 1\nz{handle="1048576",role="2000000"} 1\n';
  expect(goBounds(page)).toBe('x_bucket{le="1.048576e+06"} 3\nx_bucket{le="+Inf"} 4\ny_bucket{kind="a",le="1e-05"} 1\nz{handle="1048576",role="2000000"} 1\n');
});
