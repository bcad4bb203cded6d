// The importer of each format.
import type { LinkFormat } from "../event.js";
import { cerbosImporter } from "./cerbos.js";
import { cloudTrailImporter } from "./cloudtrail.js";
import { caddyImporter, nginxImporter } from "./http-access.js";
import type { Importer } from "./importer.js";
import { jsonlImporter } from "./jsonl.js";
import { k8sImporter } from "./k8s.js";
import { ACCESS_LOG_MAPPING, type Mapping } from "./mapping.js";
import { ocsfImporter } from "./ocsf.js";
import { opaImporter } from "./opa.js";

export { ACCESS_LOG_MAPPING, mappingSchema, parseMapping, type Mapping } from "./mapping.js";
export type { Importer } from "./importer.js";

/** A fresh importer per run (CloudTrail's keeps the digests it saw). Only `jsonl` reads a mapping. */
export function importerFor(format: LinkFormat, mapping?: Mapping): Importer {
  switch (format) {
    case "cloudtrail":
      return cloudTrailImporter();
    case "k8s":
      return k8sImporter();
    case "ocsf":
      return ocsfImporter();
    case "opa":
      return opaImporter();
    case "cerbos":
      return cerbosImporter();
    case "nginx":
      return nginxImporter();
    case "caddy":
      return caddyImporter();
    case "jsonl":
      return jsonlImporter(mapping ?? ACCESS_LOG_MAPPING);
  }
}
