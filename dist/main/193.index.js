export const id = 193;
export const ids = [193];
export const modules = {

/***/ 5574:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $: () => (/* binding */ FILE_STORE),
/* harmony export */   setUpApiKey: () => (/* binding */ setUpApiKey)
/* harmony export */ });
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _codex_home_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8038);
/* harmony import */ var _codex_config_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9391);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3916);
/* harmony import */ var _runtime_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3683);
// API-key mode (the default): a CODEX_HOME whose auth.json holds the key, as `codex login --with-api-key` writes it.





/** Keyring storage would make Codex ignore the file we write (macOS runners have a keychain). */
const FILE_STORE = { key: 'cli_auth_credentials_store', value: 'file', onConflict: 'replace' };
async function setUpApiKey(inputs, rt) {
    const home = await (0,_codex_home_js__WEBPACK_IMPORTED_MODULE_1__/* .prepareCodexHome */ .mM)(inputs.codexHome, (0,_runtime_js__WEBPACK_IMPORTED_MODULE_4__/* .runnerTemp */ .X)(rt.env));
    rt.saveState({ mode: 'api-key', codexHome: home.dir, createdHome: home.created });
    const authFile = node_path__WEBPACK_IMPORTED_MODULE_0___default().join(home.dir, _codex_home_js__WEBPACK_IMPORTED_MODULE_1__/* .AUTH_FILE */ .u1);
    if (!home.created)
        await checkExistingAuth(authFile, rt);
    await (0,_codex_config_js__WEBPACK_IMPORTED_MODULE_2__/* .mergeCodexConfig */ .E)(home.dir, [FILE_STORE], rt.warning);
    await (0,_codex_home_js__WEBPACK_IMPORTED_MODULE_1__/* .writePrivateFile */ .Pl)(authFile, JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: inputs.apiKey }, null, 2));
    rt.saveState({ mode: 'api-key', codexHome: home.dir, createdHome: home.created, authFile });
    rt.exportVariable('CODEX_HOME', home.dir);
    rt.setOutput('codex-home', home.dir);
    rt.setOutput('auth-file', authFile);
    rt.setOutput('auth-mode', 'api-key');
    rt.info(`Codex will use the API key: ${authFile} written, CODEX_HOME=${home.dir} exported for the following steps.`);
}
/** Never destroy a credential this action did not create: a ChatGPT login in the user's CODEX_HOME is refused. */
async function checkExistingAuth(authFile, rt) {
    const text = await (0,_codex_home_js__WEBPACK_IMPORTED_MODULE_1__/* .readFileIfExists */ .QD)(authFile);
    if (text === undefined)
        return;
    let mode;
    try {
        mode = JSON.parse(text).auth_mode;
    }
    catch {
        mode = 'unreadable';
    }
    if (mode === 'apikey') {
        rt.warning(`Replacing the API-key auth.json already in ${node_path__WEBPACK_IMPORTED_MODULE_0___default().dirname(authFile)}; the post step removes it.`);
        return;
    }
    const what = mode === 'unreadable' ? 'an auth.json this action cannot read' : 'a ChatGPT login (auth.json)';
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('codex-home', `${node_path__WEBPACK_IMPORTED_MODULE_0___default().dirname(authFile)} already holds ${what}; writing the API key there would destroy it.`, 'Point codex-home at another directory (or leave it empty for a private one), or use `auth-mode: chatgpt` to use that login.');
}


/***/ }),

/***/ 9391:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   E: () => (/* binding */ mergeCodexConfig)
/* harmony export */ });
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var smol_toml__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3292);
/* harmony import */ var _codex_home_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8038);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3916);
// config.toml settings the action needs Codex to honour, merged into a user's file without
// rewriting it: new keys go on top (TOML's root table), comments and other settings stay.




async function mergeCodexConfig(dir, changes, warn) {
    const file = node_path__WEBPACK_IMPORTED_MODULE_0___default().join(dir, _codex_home_js__WEBPACK_IMPORTED_MODULE_2__/* .CONFIG_FILE */ .g2);
    let text = (await (0,_codex_home_js__WEBPACK_IMPORTED_MODULE_2__/* .readFileIfExists */ .QD)(file)) ?? '';
    const current = parseConfig(text, file);
    const added = [];
    for (const change of changes) {
        const existing = current[change.key];
        if (existing === change.value)
            continue;
        const line = `${change.key} = ${JSON.stringify(change.value)}`;
        if (existing === undefined) {
            added.push(line);
        }
        else if (change.onConflict === 'replace') {
            warn(`${file} sets ${change.key} = ${JSON.stringify(existing)}; this job needs ${JSON.stringify(change.value)} and sets it.`);
            text = text.replace(new RegExp(`^[ \\t]*${change.key}[ \\t]*=.*$`, 'm'), line);
        }
        else {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz(change.onConflict.input, `does not match ${change.key} = ${JSON.stringify(existing)} in ${file}.`, change.onConflict.fix);
        }
    }
    if (added.length)
        text = `# Set by codex-auth\n${added.join('\n')}\n${text}`;
    const merged = parseConfig(text, file);
    for (const change of changes) {
        if (merged[change.key] !== change.value)
            throw new Error(`Could not set ${change.key} in ${file}; set it by hand to ${JSON.stringify(change.value)}.`);
    }
    await (0,_codex_home_js__WEBPACK_IMPORTED_MODULE_2__/* .writePrivateFile */ .Pl)(file, text);
}
function parseConfig(text, file) {
    try {
        return (0,smol_toml__WEBPACK_IMPORTED_MODULE_1__/* .parse */ .qg)(text);
    }
    catch (error) {
        const where = error.line;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('codex-home', `${file} is not valid TOML${where ? ` (line ${where})` : ''}.`, 'Fix the file, or leave codex-home empty for a private directory.');
    }
}


/***/ }),

/***/ 8038:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Pl: () => (/* binding */ writePrivateFile),
/* harmony export */   QD: () => (/* binding */ readFileIfExists),
/* harmony export */   g2: () => (/* binding */ CONFIG_FILE),
/* harmony export */   mM: () => (/* binding */ prepareCodexHome),
/* harmony export */   u1: () => (/* binding */ AUTH_FILE)
/* harmony export */ });
/* unused harmony export removeCredentials */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3916);
// The CODEX_HOME the action hands to Codex: a private directory, files 0600 in 0700, outside the workspace.




const AUTH_FILE = 'auth.json';
const CONFIG_FILE = 'config.toml';
/** Creates a private CODEX_HOME under RUNNER_TEMP, or checks (and if needed creates) the user's. */
async function prepareCodexHome(requested, runnerTemp) {
    if (!requested) {
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.mkdir(runnerTemp, { recursive: true });
        // mkdtemp creates the directory 0700.
        return { dir: await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.mkdtemp(node_path__WEBPACK_IMPORTED_MODULE_1___default().join(runnerTemp, 'codex-home-')), created: true };
    }
    const stat = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.lstat(requested).catch(() => undefined);
    if (!stat) {
        await makeDirectories(requested).catch((error) => {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('codex-home', `'${requested}' does not exist and could not be created (${error.code}).`, 'Choose a directory the runner user can write, or leave it empty for a private directory under RUNNER_TEMP.');
        });
        return { dir: requested, created: true };
    }
    if (stat.isSymbolicLink()) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('codex-home', `'${requested}' is a symbolic link; credentials are not written through links.`, 'Give the real directory path.');
    }
    if (!stat.isDirectory()) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('codex-home', `'${requested}' is a file, not a directory.`, 'Give a directory path (it is created if missing), or leave it empty for a private directory under RUNNER_TEMP.');
    }
    try {
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.access(requested, node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.W_OK | node_fs__WEBPACK_IMPORTED_MODULE_0__.constants.X_OK);
    }
    catch {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz('codex-home', `'${requested}' is not writable by the runner user.`, 'Fix its permissions, choose another directory, or leave it empty for a private directory under RUNNER_TEMP.');
    }
    return { dir: requested, created: false };
}
/**
 * `mkdir -p` with 0700 directories, one level at a time: Node's recursive mkdir never returns on
 * some paths (under /proc, for one).
 */
async function makeDirectories(dir) {
    const missing = [];
    let current = dir;
    while (!(await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.lstat(current).then(() => true, () => false))) {
        missing.unshift(current);
        const parent = node_path__WEBPACK_IMPORTED_MODULE_1___default().dirname(current);
        if (parent === current)
            break;
        current = parent;
    }
    for (const each of missing)
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.mkdir(each, { mode: 0o700 });
}
/**
 * Writes a file 0600 atomically (temp file + rename, as Codex itself does), refusing to follow a
 * symbolic link planted where the file should be.
 */
async function writePrivateFile(file, content) {
    const existing = await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.lstat(file).catch(() => undefined);
    if (existing?.isSymbolicLink())
        throw new Error(`Refusing to write ${file}: it is a symbolic link.`);
    const temp = node_path__WEBPACK_IMPORTED_MODULE_1___default().join(node_path__WEBPACK_IMPORTED_MODULE_1___default().dirname(file), `.${node_path__WEBPACK_IMPORTED_MODULE_1___default().basename(file)}.${(0,node_crypto__WEBPACK_IMPORTED_MODULE_2__.randomBytes)(6).toString('hex')}.tmp`);
    await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.writeFile(temp, content, { mode: 0o600, flag: 'wx' });
    try {
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.rename(temp, file);
    }
    catch (error) {
        await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.rm(temp, { force: true });
        throw error;
    }
}
async function readFileIfExists(file) {
    try {
        return await node_fs__WEBPACK_IMPORTED_MODULE_0__.promises.readFile(file, 'utf8');
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return undefined;
        throw error;
    }
}
/**
 * Removes what main created: the whole directory if it made it, else only the auth.json it wrote
 * (with Codex's lock files beside it). Returns the paths removed, for the log.
 */
async function removeCredentials(home, wroteAuthFile) {
    if (home.created) {
        const exists = await fs.lstat(home.dir).then(() => true, () => false);
        await fs.rm(home.dir, { recursive: true, force: true });
        return exists ? [home.dir] : [];
    }
    const removed = [];
    if (!wroteAuthFile)
        return removed;
    for (const name of [AUTH_FILE, `${AUTH_FILE}.lock`, 'auth.lock']) {
        const file = path.join(home.dir, name);
        if (await fs.lstat(file).then(() => true, () => false)) {
            await fs.rm(file, { force: true });
            removed.push(file);
        }
    }
    return removed;
}


/***/ }),

/***/ 3683:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   X: () => (/* binding */ runnerTemp)
/* harmony export */ });
function runnerTemp(env) {
    const dir = env.RUNNER_TEMP;
    if (!dir)
        throw new Error('RUNNER_TEMP is not set: this action must run inside a GitHub Actions job.');
    return dir;
}


/***/ })

};
