/**
 * Records which of `Intl`'s data-loading entry points a dedicated-mode service uses: installs
 * spies on them before slf4ts is imported, configures a service writing to argv[2] (with the
 * extra properties of argv[3], JSON), logs three records (one with a Date), shuts down and
 * prints `{ calls, luxon }` as JSON on stdout (`luxon`: whether luxon, which slf4ts loads on first use
 * with `require`, was loaded). The first use of locale or zone data loads ICU's data
 * into the process (about 6–8 MB of memory), so a service that does not need it should not
 * touch it. Run in a child process so that nothing else in the test process has touched `Intl`.
 */
const calls: string[] = [];
const note = (name: string): void => {
  calls.push(name);
};
const intl = Intl as unknown as Record<string, (new (...args: unknown[]) => unknown) & ((...args: unknown[]) => unknown) & { supportedLocalesOf?: (...args: unknown[]) => unknown }>;
for (const name of ["DateTimeFormat", "Collator", "NumberFormat", "Segmenter", "PluralRules", "RelativeTimeFormat", "ListFormat", "DisplayNames"]) {
  const original = intl[name];
  if (original === undefined) continue;
  const supported = original.supportedLocalesOf;
  if (supported !== undefined) {
    original.supportedLocalesOf = function (this: unknown, ...args: unknown[]) {
      note(`Intl.${name}.supportedLocalesOf`);
      return supported.apply(this, args);
    };
  }
  intl[name] = new Proxy(original, {
    construct(target, args) {
      note(`new Intl.${name}`);
      return new target(...args) as object;
    },
    apply(target, self, args) {
      note(`Intl.${name}()`);
      return Reflect.apply(target, self, args) as unknown;
    },
  });
}
const prototypes: ReadonlyArray<readonly [object, string, string]> = [
  [String.prototype, "localeCompare", "String"],
  [String.prototype, "toLocaleLowerCase", "String"],
  [String.prototype, "toLocaleUpperCase", "String"],
  [Number.prototype, "toLocaleString", "Number"],
  [Date.prototype, "toLocaleString", "Date"],
  [Date.prototype, "toLocaleDateString", "Date"],
  [Date.prototype, "toLocaleTimeString", "Date"],
];
for (const [prototype, method, owner] of prototypes) {
  const record = prototype as Record<string, (...args: unknown[]) => unknown>;
  const original = record[method] as (...args: unknown[]) => unknown;
  record[method] = function (this: unknown, ...args: unknown[]) {
    note(`${owner}.prototype.${method}`);
    return original.apply(this, args);
  };
}

const { createAuditLogService } = await import("../../src/index.js");
const { createRequire } = await import("node:module");
const P = "com.openexchange.log.audit.slf4j.";
const extra = JSON.parse(process.argv[3] ?? "{}") as Record<string, string>;
const service = createAuditLogService();
await service.configure({
  properties: { [`${P}enabled`]: "true", [`${P}file.location`]: process.argv[2] as string, [`${P}file.size`]: "1KB", [`${P}file.count`]: "2", ...extra },
  watch: false,
});
service.log("ox.login", { login: "thorben", ip: "::1", timestamp: new Date(Date.UTC(2016, 5, 10, 10, 31, 10)) });
service.log("ox.count", { n: 1234567.5, big: 10n ** 20n });
service.log("ox.logout", [["login", "thorben"]]);
await service.shutdown();
const luxon = Object.keys(createRequire(import.meta.url).cache).some((path) => /[/\\]node_modules[/\\]luxon[/\\]/.test(path));
process.stdout.write(JSON.stringify({ calls, luxon }));
