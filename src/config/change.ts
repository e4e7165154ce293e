/**
 * Which changes of a configuration cost records or protection if they were applied by mistake
 * (for instance from a properties file read while its writer was half-way): those a watched
 * file must confirm by staying the same a while longer before they are applied.
 */
import type { TargetSpec } from "../targets/spec.js";
import type { AuditConfig } from "./schema.js";

function modeOf(config: AuditConfig | undefined): "disabled" | "standard mode" | "dedicated mode" {
  if (config === undefined || !config.enabled) return "disabled";
  return config.file === undefined ? "standard mode" : "dedicated mode";
}

function destination(target: TargetSpec): string {
  return target.file !== undefined ? target.file.path : `${target.type} ${target.protocol}://${target.host}:${target.port}`;
}

/**
 * Says, in words, why applying `after` in place of `before` needs confirmation, or returns
 * `undefined` when it does not. A change needs it when a half-written file could cause it and
 * it would lose or expose something that a second look cannot bring back:
 *
 * - the mode changes (disabled, standard, dedicated): records would go elsewhere or nowhere;
 * - `file.location` changes: records would go to another file;
 * - `integrity.mode` turns off: records would be written without tamper evidence;
 * - fewer archives are kept (`file.count` lower, `file.maxAge` on or shorter): archives would
 *   be deleted;
 * - masking is weaker (a word left out of `mask.names`, a higher `mask.keep`): secrets would
 *   reach the file;
 * - `record.maxLength` is lower: records would be cut;
 * - `level` changes in standard mode: the host's logging might drop the records;
 * - a target is removed or sent elsewhere: its records would not reach it.
 *
 * @example
 * ```ts
 * riskyChange(dedicated, standard); // "it switches from dedicated mode to standard mode"
 * riskyChange(dedicated, { ...dedicated, delimiter: ";" }); // undefined
 * ```
 */
export function riskyChange(before: AuditConfig | undefined, after: AuditConfig): string | undefined {
  const from = modeOf(before);
  const to = modeOf(after);
  if (from !== to) return `it switches from ${from} to ${to}`;
  if (before === undefined || to === "disabled") return undefined;
  const reasons: string[] = [];
  if (before.file !== undefined && after.file !== undefined) {
    if (before.file.location !== after.file.location) reasons.push(`it moves the audit file from ${before.file.location} to ${after.file.location}`);
    if (before.integrity !== undefined && after.integrity === undefined) reasons.push("it turns integrity.mode off");
    if (after.file.maxArchives < before.file.maxArchives) reasons.push(`it keeps fewer archives (file.count ${before.file.maxArchives} to ${after.file.maxArchives})`);
    const oldAge = before.file.maxAgeDays;
    const newAge = after.file.maxAgeDays;
    if (newAge !== 0 && (oldAge === 0 || newAge < oldAge)) reasons.push(`it deletes archives sooner (file.maxAge ${oldAge} to ${newAge})`);
  }
  const unmasked = before.maskNames.filter((word) => !after.maskNames.includes(word));
  if (unmasked.length > 0) reasons.push(`it no longer masks ${unmasked.join(", ")}`);
  if (after.maskKeep > before.maskKeep) reasons.push(`it shows more of masked values (mask.keep ${before.maskKeep} to ${after.maskKeep})`);
  if (after.maxLength < before.maxLength) reasons.push(`it cuts records shorter (record.maxLength ${before.maxLength} to ${after.maxLength})`);
  if (to === "standard mode" && before.level !== after.level) reasons.push("it changes the level of records in standard mode");
  const kept = new Map(after.targets.map((t) => [t.name, destination(t)]));
  for (const target of before.targets) {
    const now = kept.get(target.name);
    if (now === undefined) reasons.push(`it removes target "${target.name}"`);
    else if (now !== destination(target)) reasons.push(`it sends target "${target.name}" to ${now} instead of ${destination(target)}`);
  }
  return reasons.length === 0 ? undefined : reasons.join("; ");
}
