/** File names inside the compiled artifact folder (dist/watchkeeper/). */
export const MANIFEST_FILE = "manifest.json";
export const BUNDLE_FILE = "monitors.mjs";
