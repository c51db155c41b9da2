/**
 * The one place @peculiar/x509 is loaded. v2 resolves its services through tsyringe, which needs
 * the Reflect polyfill installed before the library's first import (research/cli-ux.md §4), and
 * it needs a WebCrypto provider: Node 20's global one (node:crypto's `webcrypto` fails tsc's DOM types).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
