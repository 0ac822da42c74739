// Bundles the app for the browser: one script and one stylesheet, content-hashed, and the
// index page that names them. No CDN: everything the page loads comes from its own origin.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const out = "dist";
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });

const result = await build({
  entryPoints: { app: "src/main.tsx", connected: "src/connected.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  splitting: false,
  sourcemap: false,
  outdir: `${out}/assets`,
  entryNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const built = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = meta.entryPoint.includes("connected") ? "connected" : "app";
  built[name] = built[name] ?? {};
  built[name].js = `/assets/${basename(file)}`;
  if (meta.cssBundle) built[name].css = `/assets/${basename(meta.cssBundle)}`;
}

function page(template, entry) {
  const css = entry.css ? `<link rel="stylesheet" href="${entry.css}">` : "";
  return readFileSync(template, "utf8")
    .replace("<!--styles-->", css)
    .replace("<!--script-->", `<script type="module" src="${entry.js}"></script>`);
}

writeFileSync(`${out}/index.html`, page("public/index.html", built.app));
writeFileSync(`${out}/connected.html`, page("public/connected.html", built.connected));
writeFileSync(`${out}/manifest.json`, JSON.stringify(built, null, 1) + "\n");
console.log(`built ${out}: ${Object.values(built).map((e) => e.js).join(", ")}`);
