/** Paths of the real data committed under test/fixtures (origins in each folder's README). */
import { fileURLToPath } from 'node:url';

/** The first 100 records of the real CIFAR-10 test batch, in the official binary format. */
export const CIFAR10_FIRST100 = fileURLToPath(
  new URL('../fixtures/cifar10/cifar10_test_first100.bin', import.meta.url),
);
