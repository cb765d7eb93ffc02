/**
 * The ordered set of providers a node routes to.
 *
 * @module
 */

import { ErrorCodes, SpenceError } from '../errors.js';
import type { Provider, ResolveInput } from './provider.js';

/** Providers in registration order, with their search prefixes indexed. */
export class ProviderRegistry {
  private readonly ordered: Provider[] = [];
  private readonly byPrefix = new Map<string, Provider>();

  /** Adds a provider. A provider with the same name is replaced in place. */
  register(provider: Provider): void {
    validateProvider(provider);
    const existing = this.ordered.findIndex((p) => p.name === provider.name);
    if (existing >= 0) {
      const old = this.ordered[existing]!;
      for (const prefix of old.searchPrefixes ?? []) this.byPrefix.delete(prefix.toLowerCase());
      this.ordered[existing] = provider;
    } else {
      this.ordered.push(provider);
    }
    for (const prefix of provider.searchPrefixes ?? []) this.byPrefix.set(prefix.toLowerCase(), provider);
  }

  /** The provider with this name, if registered. */
  get(name: string): Provider | undefined {
    return this.ordered.find((p) => p.name === name);
  }

  /** The provider for a search prefix (case-insensitive, without the colon). */
  forPrefix(prefix: string): Provider | undefined {
    return this.byPrefix.get(prefix.toLowerCase());
  }

  /** The first search prefix of the first provider that has one: where plain text goes by default. */
  firstSearchPrefix(): string | undefined {
    for (const provider of this.ordered) {
      const prefix = provider.searchPrefixes?.[0];
      if (prefix !== undefined) return prefix;
    }
    return undefined;
  }

  /** The first provider that recognises the input; fallback providers are asked last. */
  forInput(input: ResolveInput): Provider | undefined {
    for (const provider of this.ordered) {
      if (!provider.fallback && provider.canResolve(input)) return provider;
    }
    for (const provider of this.ordered) {
      if (provider.fallback && provider.canResolve(input)) return provider;
    }
    return undefined;
  }

  /** All providers, in order. */
  list(): readonly Provider[] {
    return this.ordered;
  }
}

function validateProvider(provider: Provider): void {
  if (provider === null || typeof provider !== 'object') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, 'A provider must be an object');
  }
  if (typeof provider.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(provider.name)) {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `A provider needs a simple name (letters, digits, . _ -), got ${JSON.stringify(provider.name)}`);
  }
  if (typeof provider.canResolve !== 'function' || typeof provider.resolve !== 'function') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Provider ${provider.name} must implement canResolve() and resolve()`);
  }
  for (const prefix of provider.searchPrefixes ?? []) {
    if (!/^[a-z][a-z0-9]*$/i.test(prefix)) {
      throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Provider ${provider.name} has an invalid search prefix ${JSON.stringify(prefix)}`);
    }
  }
  if (provider.searchPrefixes?.length && typeof provider.search !== 'function') {
    throw new SpenceError(ErrorCodes.INVALID_ARGUMENT, `Provider ${provider.name} declares search prefixes but no search()`);
  }
}
