/**
 * SLF4J markers: named tags a log call can carry (`MarkerFactory.getMarker("AUDIT")`), with
 * references to other markers, as in `org.slf4j.Marker`. A marker reaches a binding in
 * {@link LogRecord.markers}; a binding decides what to make of it (a field, a tag, a filter).
 */

/** A named marker; it may refer to other markers, and `contains` follows those references. */
export interface Marker {
  /** The marker's name. */
  readonly name: string;
  /** The marker's name (SLF4J's `getName()`). */
  getName(): string;
  /** Adds a reference to another marker (ignored when it would make a cycle or is already there). */
  add(reference: Marker): void;
  /** Removes a reference; true if it was there. */
  remove(reference: Marker): boolean;
  /** Whether this marker refers to others. */
  hasReferences(): boolean;
  /** The markers this one refers to directly. */
  references(): readonly Marker[];
  /** Whether this marker is `other` (by name) or refers to it, directly or not. */
  contains(other: Marker | string): boolean;
  /** The name, with references: `AUDIT [ SECURITY, LOGIN ]` as SLF4J prints it. */
  toString(): string;
}

class BasicMarker implements Marker {
  private readonly refs: Marker[] = [];
  constructor(readonly name: string) {}
  getName(): string {
    return this.name;
  }
  add(reference: Marker): void {
    if (reference === this || reference.contains(this) || this.refs.includes(reference)) return;
    this.refs.push(reference);
  }
  remove(reference: Marker): boolean {
    const at = this.refs.indexOf(reference);
    if (at < 0) return false;
    this.refs.splice(at, 1);
    return true;
  }
  hasReferences(): boolean {
    return this.refs.length > 0;
  }
  references(): readonly Marker[] {
    return [...this.refs];
  }
  contains(other: Marker | string): boolean {
    const name = typeof other === "string" ? other : other.name;
    if (this.name === name) return true;
    return this.refs.some((reference) => reference.contains(name));
  }
  toString(): string {
    return this.refs.length === 0 ? this.name : `${this.name} [ ${this.refs.map((r) => r.toString()).join(", ")} ]`;
  }
}

const markers = new Map<string, Marker>();

/**
 * Hands out markers: the same object for the same name, as SLF4J's `MarkerFactory` does.
 *
 * @example
 * ```ts
 * const AUDIT = MarkerFactory.getMarker("AUDIT");
 * log.atInfo().addMarker(AUDIT).log("user {} logged in", name);
 * ```
 */
export const MarkerFactory = {
  /** The marker of this name, created on first use. */
  getMarker(name: string): Marker {
    let marker = markers.get(name);
    if (marker === undefined) {
      marker = new BasicMarker(name);
      markers.set(name, marker);
    }
    return marker;
  },
  /** A new marker of this name that the factory does not keep (SLF4J's `getDetachedMarker`). */
  getDetachedMarker(name: string): Marker {
    return new BasicMarker(name);
  },
  /** Whether a marker of this name was handed out by {@link MarkerFactory.getMarker}. */
  exists(name: string): boolean {
    return markers.has(name);
  },
};
