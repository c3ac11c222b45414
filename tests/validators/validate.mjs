#!/usr/bin/env node
// Validates the custom resources in multi-document YAML (stdin, or files given as
// arguments) against the published schemas of their operators, as packaged by
// @kubernetes-models. Built-in Kubernetes kinds are left to kubernetes-validate.
//
//   node tests/validators/validate.mjs < rendered.yaml
//   node tests/validators/validate.mjs a.yaml b.yaml
//
// Prints one line per error ("<source> doc <n> <kind>/<name>: <path> <message>") and
// exits 1 when any document is invalid, 0 otherwise. A custom resource of a kind with
// no schema here is an error too: silently passing it would prove nothing.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { MODELS, EXTRA_CHECKS, SCHEMA_ALIASES } from "./models.mjs";

// Groups served by the Kubernetes API server itself; their schemas are checked elsewhere.
const isBuiltIn = (group) => group === "" || !group.includes(".") || group.endsWith(".k8s.io");

function splitApiVersion(apiVersion) {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

async function validateDocument(doc) {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return ["not a YAML mapping"];
  }
  if (typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
    return ["missing apiVersion or kind"];
  }
  const [group] = splitApiVersion(doc.apiVersion);
  if (isBuiltIn(group)) return [];
  const schemaVersion = SCHEMA_ALIASES[doc.apiVersion] ?? doc.apiVersion;
  const load = MODELS[`${schemaVersion}/${doc.kind}`];
  if (!load) {
    return [`no schema known for ${doc.apiVersion} ${doc.kind}; add it to tests/validators/models.mjs`];
  }
  const Model = await load();
  const errors = [];
  try {
    new Model({ ...doc, apiVersion: schemaVersion }).validate();
  } catch (error) {
    const details = error.errors ?? [{ instancePath: "", message: error.message }];
    for (const e of details) errors.push(`${e.instancePath || "/"} ${e.message}`);
  }
  const extra = EXTRA_CHECKS[doc.kind];
  if (extra) errors.push(...extra(doc));
  return errors;
}

async function main() {
  const sources = process.argv.slice(2);
  let inputs;
  try {
    inputs = sources.length
      ? sources.map((path) => [path, readFileSync(path, "utf8")])
      : [["<stdin>", readFileSync(0, "utf8")]];
  } catch (error) {
    console.error(`cannot read input: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  let failures = 0;
  let checked = 0;
  for (const [source, text] of inputs) {
    const docs = parseAllDocuments(text);
    for (const [index, parsed] of docs.entries()) {
      if (parsed.errors.length) {
        failures++;
        console.log(`${source} doc ${index}: YAML error: ${parsed.errors[0].message}`);
        continue;
      }
      const doc = parsed.toJS();
      if (doc === null || doc === undefined) continue; // empty document between separators
      const label = `${doc.kind ?? "?"}/${doc.metadata?.name ?? "?"}`;
      const errors = await validateDocument(doc);
      checked++;
      for (const message of errors) console.log(`${source} doc ${index} ${label}: ${message}`);
      if (errors.length) failures++;
    }
  }
  console.error(`validated ${checked} document(s), ${failures} invalid`);
  process.exitCode = failures ? 1 : 0;
}

await main();
