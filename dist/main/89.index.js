export const id = 89;
export const ids = [89,193];
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

/***/ 5089:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  setUpChatGpt: () => (/* binding */ setUpChatGpt)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/codex-home.ts
var codex_home = __webpack_require__(8038);
// EXTERNAL MODULE: ./src/codex-config.ts
var codex_config = __webpack_require__(9391);
// EXTERNAL MODULE: ./src/api-key.ts
var api_key = __webpack_require__(5574);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/runtime.ts
var runtime = __webpack_require__(3683);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/cache.js + 341 modules
var cache = __webpack_require__(8518);
;// CONCATENATED MODULE: ./src/stores/library-log.ts
// @actions/cache reports most failures only as a log line and an `undefined`/-1 result, which a
// miss also returns. For a credential the difference matters (a failed lookup must not let an old
// seed win), so while a library call runs we watch the workflow commands it prints.
const FAILURE = /^::(?:warning|error)[^:]*::(.*)$/;
async function watchFailures(call) {
    const failures = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk, ...rest) => {
        for (const line of String(chunk).split(/\r?\n/)) {
            const match = FAILURE.exec(line);
            if (match)
                failures.push(match[1].replace(/%0A/g, ' ').replace(/%0D/g, '').replace(/%25/g, '%'));
        }
        return write(chunk, ...rest);
    });
    try {
        return { result: await call(), failures };
    }
    finally {
        process.stdout.write = write;
    }
}

;// CONCATENATED MODULE: ./src/stores/cache.ts
// The Actions cache as a store of envelopes. Keys are immutable, so every save gets a new key and
// a restore takes the newest entry under the credential's prefix. The key carries last_refresh,
// so the newest stored copy can be compared without downloading it.






class CacheStore {
    options;
    /**
     * The path string is hashed into the cache version, so it must be the same on every runner: a
     * fixed path relative to the workspace (the step's working directory). The file only lives there
     * for the moment of a save or restore.
     */
    file;
    prefix;
    constructor(options) {
        this.options = options;
        this.file = external_node_path_default().join('.codex-auth', `${options.credentialName}.envelope`);
        this.prefix = `codex-auth-v1.${options.credentialName}.`;
    }
    /** last_refresh (epoch ms) recorded in a key of this store, if it is one. */
    lastRefreshOfKey(key) {
        if (!key.startsWith(this.prefix))
            return undefined;
        const ms = Number(key.slice(this.prefix.length).split('.')[0]);
        return Number.isSafeInteger(ms) ? ms : undefined;
    }
    async restore() {
        const unavailable = this.unavailableReason('read');
        if (unavailable)
            return { status: 'unavailable', reason: unavailable };
        try {
            const { result: key, failures } = await watchFailures(() => cache/* restoreCache */.P3([this.file], this.prefix));
            if (!key)
                return failures.length ? { status: 'failed', reason: failures.join('; ') } : { status: 'miss' };
            const envelope = await external_node_fs_.promises.readFile(this.file, 'utf8').catch(() => undefined);
            if (envelope === undefined)
                return { status: 'failed', reason: `entry ${key} did not contain the envelope file` };
            return { status: 'hit', copy: { key, envelope } };
        }
        catch (error) {
            return { status: 'failed', reason: (0,errors/* errorMessage */.gJ)(error) };
        }
        finally {
            await this.removeFile();
        }
    }
    /** The newest key under the prefix, without downloading it (undefined on a miss or failure). */
    async newestKey() {
        if (this.unavailableReason('read'))
            return undefined;
        return cache/* restoreCache */.P3([this.file], this.prefix, [], { lookupOnly: true }).catch(() => undefined);
    }
    async save(envelope, lastRefreshMs) {
        const unavailable = this.unavailableReason('write');
        if (unavailable)
            return { ok: false, reason: unavailable, retryable: false };
        const env = this.options.env;
        const key = `${this.prefix}${lastRefreshMs}.${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}.${(0,external_node_crypto_.randomBytes)(4).toString('hex')}`;
        const delays = this.options.retryDelaysMs ?? [2000, 5000];
        let last = { ok: false, reason: 'not attempted', retryable: true };
        for (let attempt = 0; attempt <= delays.length; attempt++) {
            if (attempt > 0) {
                this.options.log(`Saving to the Actions cache failed (${last.ok ? '' : last.reason}); attempt ${attempt + 1} of ${delays.length + 1} in ${delays[attempt - 1] / 1000} s.`);
                await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
            }
            last = await this.saveOnce(envelope, key);
            if (last.ok || !last.retryable)
                return last;
        }
        return last;
    }
    async saveOnce(envelope, key) {
        await external_node_fs_.promises.mkdir(external_node_path_default().dirname(this.file), { recursive: true, mode: 0o700 });
        await external_node_fs_.promises.writeFile(this.file, envelope, { mode: 0o600 });
        try {
            const { result: id, failures } = await watchFailures(() => cache/* saveCache */.Io([this.file], key));
            if (id !== -1)
                return { ok: true, key };
            const reason = failures.join('; ') || 'the cache service did not accept the entry';
            return { ok: false, reason, retryable: !/cache write denied/i.test(reason) };
        }
        catch (error) {
            return { ok: false, reason: (0,errors/* errorMessage */.gJ)(error), retryable: true };
        }
        finally {
            await this.removeFile();
        }
    }
    unavailableReason(access) {
        if (!cache/* isFeatureAvailable */.w3())
            return 'the Actions cache service is not available to this job (no ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL)';
        const mode = (this.options.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
        const allowed = access === 'read' ? ['read', 'write'] : ['write', 'write-only'];
        if (['none', 'read', 'write', 'write-only'].includes(mode) && !allowed.includes(mode)) {
            return `the cache is not ${access === 'read' ? 'readable' : 'writable'} in this run (cache-mode '${mode}'; low-trust events such as pull_request_target get a read-only cache)`;
        }
        return undefined;
    }
    async removeFile() {
        await external_node_fs_.promises.rm(this.file, { force: true });
        await external_node_fs_.promises.rmdir(external_node_path_default().dirname(this.file)).catch(() => undefined);
    }
}

;// CONCATENATED MODULE: ./src/chatgpt/credential.ts
// A ChatGPT login (auth.json as Codex writes it): parsing, the checks from OpenAI's CI/CD guide,
// and the facts the action reports. Nothing here logs; error texts never quote the file.

const RFC3339 = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const AUTH_CLAIMS = 'https://api.openai.com/auth';
function parseCredential(text) {
    let doc;
    try {
        doc = JSON.parse(text);
    }
    catch {
        // JSON.parse's message quotes the input: never pass it on.
        return { ok: false, reason: 'it is not valid JSON', secrets: [] };
    }
    if (!isObject(doc))
        return { ok: false, reason: 'it is not a JSON object', secrets: [] };
    const tokens = isObject(doc.tokens) ? doc.tokens : {};
    const secrets = [tokens.access_token, tokens.refresh_token, tokens.id_token, tokens.account_id, doc.OPENAI_API_KEY].filter((v) => typeof v === 'string' && v.length > 0);
    const fail = (reason) => ({ ok: false, reason, secrets });
    if (doc.auth_mode !== 'chatgpt') {
        return fail(`auth_mode is ${JSON.stringify(typeof doc.auth_mode === 'string' ? doc.auth_mode : doc.auth_mode ?? null)}, not "chatgpt" (this is not a ChatGPT login)`);
    }
    for (const name of ['refresh_token', 'access_token', 'id_token']) {
        if (typeof tokens[name] !== 'string' || tokens[name] === '')
            return fail(`tokens.${name} is missing or empty`);
    }
    const idClaims = decodeJwt(tokens.id_token);
    if (!idClaims)
        return fail('tokens.id_token is not a readable JWT (Codex could not load the file)');
    if (typeof doc.last_refresh !== 'string' || !RFC3339.test(doc.last_refresh) || Number.isNaN(Date.parse(doc.last_refresh))) {
        return fail('last_refresh is missing or not an RFC 3339 time');
    }
    const auth = isObject(idClaims[AUTH_CLAIMS]) ? idClaims[AUTH_CLAIMS] : {};
    const exp = decodeJwt(tokens.access_token)?.exp;
    if (typeof idClaims.email === 'string')
        secrets.push(idClaims.email);
    return {
        ok: true,
        credential: {
            text,
            sha256: sha256(text),
            lastRefresh: new Date(doc.last_refresh),
            lastRefreshText: doc.last_refresh,
            accessTokenExpiresAt: typeof exp === 'number' ? new Date(exp * 1000) : undefined,
            planType: typeof auth.chatgpt_plan_type === 'string' ? auth.chatgpt_plan_type : undefined,
            workspaceId: typeof auth.chatgpt_account_id === 'string' ? auth.chatgpt_account_id : typeof tokens.account_id === 'string' ? tokens.account_id : undefined,
            secrets
        }
    };
}
function secretsOf(parsed) {
    return parsed.ok ? parsed.credential.secrets : parsed.secrets;
}
/**
 * Orders last_refresh times to the nanosecond Codex writes (Date keeps milliseconds): the newer
 * copy holds the live refresh token.
 */
function compareLastRefresh(a, b) {
    return Date.parse(a) - Date.parse(b) || fraction(a) - fraction(b);
}
function compareFreshness(a, b) {
    return compareLastRefresh(a.lastRefreshText, b.lastRefreshText);
}
function fraction(text) {
    const match = RFC3339.exec(text);
    return match?.[3] ? Number(`0${match[3]}`) : 0;
}
function sha256(text) {
    return (0,external_node_crypto_.createHash)('sha256').update(text).digest('hex');
}
function decodeJwt(token) {
    const parts = token.split('.');
    if (parts.length !== 3)
        return undefined;
    try {
        const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
        return isObject(payload) ? payload : undefined;
    }
    catch {
        return undefined;
    }
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// EXTERNAL MODULE: ./node_modules/libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs + 1 modules
var libsodium_wrappers = __webpack_require__(4768);
;// CONCATENATED MODULE: ./src/chatgpt/envelope.ts
// The envelope: the only form in which a credential leaves the runner (cache entry, secret, local store).
//
//   codex-auth:v1:<credential name>:<key id>:<nonce>:<ciphertext>     (one line, base64url fields)
//
// XChaCha20-Poly1305-IETF with a random 24-byte nonce. The associated data binds the format
// version, the credential name and the key id, so an envelope cannot be replayed under another
// name or version. The key id (a keyed BLAKE2b hash of the key, not the key) and the name are in
// the clear only to tell "wrong key" and "another credential" apart from tampering.

const PREFIX = 'codex-auth';
const VERSION = 'v1';
const KEY_ID_CONTEXT = 'codex-auth key id v1';
function looksLikeEnvelope(text) {
    return text.trim().startsWith(`${PREFIX}:`);
}
async function seal(plaintext, key, credentialName) {
    await sodium.ready;
    const keyId = await keyIdOf(key);
    const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData(credentialName, keyId), null, nonce, key);
    return [PREFIX, VERSION, credentialName, keyId, b64(nonce), b64(ciphertext)].join(':');
}
async function envelope_open(envelope, key, credentialName) {
    await libsodium_wrappers/* default.ready */.Ay.ready;
    const parts = envelope.trim().split(':');
    if (parts[0] !== PREFIX)
        return { ok: false, reason: 'it is not a codex-auth envelope' };
    if (parts[1] !== VERSION)
        return { ok: false, reason: `its format version '${parts[1]}' is not supported by this version of the action (expected ${VERSION})` };
    if (parts.length !== 6)
        return { ok: false, reason: 'it is truncated or corrupted (wrong number of fields)' };
    const [, , name, keyId, nonceText, ciphertextText] = parts;
    if (name !== credentialName)
        return { ok: false, reason: `it belongs to credential '${name}', not '${credentialName}'` };
    if (keyId !== (await keyIdOf(key)))
        return { ok: false, reason: 'it was encrypted with a different encryption-key' };
    const nonce = unb64(nonceText);
    const ciphertext = unb64(ciphertextText);
    if (!nonce || nonce.length !== libsodium_wrappers/* default */.Ay.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES || !ciphertext || ciphertext.length <= libsodium_wrappers/* default */.Ay.crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        return { ok: false, reason: 'it is truncated or corrupted' };
    }
    try {
        const plaintext = libsodium_wrappers/* default */.Ay.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData(name, keyId), nonce, key, 'text');
        return { ok: true, plaintext };
    }
    catch {
        return { ok: false, reason: 'it failed authentication: it was tampered with or corrupted' };
    }
}
async function keyIdOf(key) {
    await libsodium_wrappers/* default.ready */.Ay.ready;
    return b64(libsodium_wrappers/* default */.Ay.crypto_generichash(9, libsodium_wrappers/* default.from_string */.Ay.from_string(KEY_ID_CONTEXT), key));
}
function associatedData(credentialName, keyId) {
    return libsodium_wrappers/* default.from_string */.Ay.from_string([PREFIX, VERSION, credentialName, keyId].join(':'));
}
function b64(bytes) {
    return Buffer.from(bytes).toString('base64url');
}
function unb64(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text))
        return undefined;
    return new Uint8Array(Buffer.from(text, 'base64url'));
}

;// CONCATENATED MODULE: ./src/chatgpt/guard.ts
// Where a ChatGPT login may be used: OpenAI's guide says trusted, private automation only.
// Checked from the event payload before anything is restored.


function checkWhereWeRun(env, allowPublicRepository) {
    const eventName = env.GITHUB_EVENT_NAME ?? '';
    if (eventName === 'pull_request_target') {
        throw new Error('ChatGPT mode is refused on pull_request_target: that event runs with the base repository\'s secrets and cache for code a pull request author controls, who could take the login. Run the Codex job on push, workflow_dispatch or schedule, or on pull_request from branches of this repository.');
    }
    const payload = readEvent(env.GITHUB_EVENT_PATH);
    const head = payload.pull_request?.head?.repo;
    const base = payload.repository?.full_name ?? env.GITHUB_REPOSITORY;
    if (payload.pull_request && (head === null || head?.fork === true || (head?.full_name && base && head.full_name !== base))) {
        throw new Error('ChatGPT mode is refused for a pull request from a fork: its code is not trusted with the login. Run Codex on pull requests from branches of this repository, or after merge.');
    }
    const visibility = payload.repository?.visibility ?? (payload.repository?.private === false ? 'public' : payload.repository?.private === true ? 'private' : undefined);
    if (visibility === undefined) {
        throw new Error('ChatGPT mode needs to know that the repository is private, and the event payload (GITHUB_EVENT_PATH) does not say. Run it from a GitHub Actions workflow.');
    }
    if (visibility !== 'public')
        return { warnings: [] };
    if (!allowPublicRepository) {
        throw new errors/* InputError */.dz('dangerously-allow-public-repository', `is false, and ${base ?? 'this repository'} is public: OpenAI advises never to use a ChatGPT login in public repositories, where the workflow and its logs are visible and contributors can change them.`, 'Use an API key (`auth-mode: api-key`); only if you accept the risk, set `dangerously-allow-public-repository: true`.');
    }
    return {
        warnings: [`Using a ChatGPT login in the public repository ${base ?? ''} because dangerously-allow-public-repository is true. Anyone who can change this workflow can use the login; prefer an API key.`]
    };
}
function readEvent(file) {
    if (!file)
        return {};
    try {
        return JSON.parse((0,external_node_fs_.readFileSync)(file, 'utf8'));
    }
    catch {
        return {};
    }
}

;// CONCATENATED MODULE: ./src/chatgpt/seed.ts
// The seed input: the auth.json from `codex login` as raw JSON, base64 of it, or an envelope.

async function decodeSeed(raw, key, credentialName) {
    const value = raw.trim();
    if (looksLikeEnvelope(value)) {
        const opened = await envelope_open(value, key, credentialName);
        return opened.ok ? { ok: true, text: opened.plaintext } : { ok: false, reason: `the envelope could not be opened: ${opened.reason}` };
    }
    if (value.startsWith('{'))
        return { ok: true, text: value };
    if (/^[A-Za-z0-9+/=_\-\s]+$/.test(value)) {
        const decoded = Buffer.from(value.replace(/\s/g, ''), value.includes('-') || value.includes('_') ? 'base64url' : 'base64').toString('utf8').trim();
        if (decoded.startsWith('{'))
            return { ok: true, text: decoded };
    }
    return { ok: false, reason: 'it is not JSON, base64 of JSON, or a codex-auth envelope' };
}

;// CONCATENATED MODULE: ./src/chatgpt/main.ts
// ChatGPT mode, main step: restore the freshest valid copy of the login, write it where Codex reads it.











async function setUpChatGpt(inputs, rt) {
    checkWhereWeRun(rt.env, inputs.allowPublicRepository).warnings.forEach(rt.warning);
    if (rt.env.CODEX_API_KEY) {
        rt.warning('CODEX_API_KEY is set in the environment: `codex exec` uses it instead of the ChatGPT login. Remove it from the job to run as the ChatGPT account.');
    }
    const home = await (0,codex_home/* prepareCodexHome */.mM)(inputs.codexHome, (0,runtime/* runnerTemp */.X)(rt.env));
    rt.saveState({ mode: 'chatgpt', codexHome: home.dir, createdHome: home.created });
    const authFile = external_node_path_default().join(home.dir, codex_home/* AUTH_FILE */.u1);
    const tried = [];
    const candidates = [];
    const consider = (source, text, cacheKey) => {
        const parsed = parseCredential(text);
        secretsOf(parsed).forEach(rt.setSecret);
        let reason = parsed.ok ? workspaceMismatch(parsed.credential, inputs.workspaceId) : parsed.reason;
        if (parsed.ok && !reason) {
            candidates.push({ source, credential: parsed.credential, cacheKey });
            reason = `usable, last_refresh ${parsed.credential.lastRefreshText}`;
        }
        else {
            rt.warning(`Skipping the ${describe(source)}: ${reason}.`);
        }
        tried.push(`${describe(source)}: ${reason}`);
    };
    const store = new CacheStore({ credentialName: inputs.credentialName, env: rt.env, log: rt.info });
    const lookup = await store.restore();
    if (lookup.status === 'hit') {
        const opened = await envelope_open(lookup.copy.envelope, inputs.encryptionKey, inputs.credentialName);
        if (opened.ok)
            consider('cache', opened.plaintext, lookup.copy.key);
        else {
            rt.warning(`Skipping the Actions cache entry ${lookup.copy.key}: ${opened.reason}.`);
            tried.push(`Actions cache entry ${lookup.copy.key}: ${opened.reason}`);
        }
    }
    else {
        tried.push(`Actions cache: ${lookup.status === 'miss' ? 'no entry yet' : lookup.reason}`);
        if (lookup.status !== 'miss')
            rt.warning(`The Actions cache could not be read: ${lookup.reason}.`);
    }
    rt.setOutput('cache-hit', String(lookup.status === 'hit'));
    if (inputs.seed) {
        const seed = await decodeSeed(inputs.seed, inputs.encryptionKey, inputs.credentialName);
        if (seed.ok)
            consider('seed', seed.text);
        else {
            rt.warning(`Skipping the seed: ${seed.reason}.`);
            tried.push(`seed (input 'chatgpt-auth-json'): ${seed.reason}`);
        }
    }
    else
        tried.push("seed (input 'chatgpt-auth-json'): not given");
    if (!home.created) {
        const existing = await (0,codex_home/* readFileIfExists */.QD)(authFile);
        if (existing !== undefined)
            consider('codex-home', existing);
    }
    const chosen = candidates.sort((a, b) => compareFreshness(b.credential, a.credential) || rank(a) - rank(b))[0];
    if (!chosen) {
        throw new errors/* CredentialError */.oA(`No usable ChatGPT credential for '${inputs.credentialName}'. Tried:\n  - ${tried.join('\n  - ')}\n` +
            "To re-seed: on a trusted machine run `codex login` (with cli_auth_credentials_store = \"file\"), then put the new ~/.codex/auth.json into the secret passed as 'chatgpt-auth-json'.");
    }
    if (lookup.status === 'failed' && chosen.source !== 'cache') {
        // The newest stored copy is unknown: using an older one would spend a refresh token that
        // may already be used, and the server can revoke the whole login for that.
        throw new errors/* CredentialError */.oA(`The Actions cache could not be read (${lookup.reason}), so this job cannot know whether a newer copy of '${inputs.credentialName}' than the ${describe(chosen.source)} exists. Nothing was restored, to avoid spending an old refresh token. Re-run the job; if the cache stays unavailable, re-seed 'chatgpt-auth-json' from a fresh \`codex login\`.`);
    }
    const credential = chosen.credential;
    const changes = [api_key/* FILE_STORE */.$];
    if (inputs.workspaceId) {
        changes.push({
            key: 'forced_chatgpt_workspace_id',
            value: inputs.workspaceId,
            onConflict: { input: 'workspace-id', fix: 'Give the same workspace id as the config.toml in codex-home, or use another codex-home.' }
        });
    }
    await (0,codex_config/* mergeCodexConfig */.E)(home.dir, changes, rt.warning);
    await (0,codex_home/* writePrivateFile */.Pl)(authFile, credential.text);
    rt.saveState({
        mode: 'chatgpt',
        codexHome: home.dir,
        createdHome: home.created,
        authFile,
        authSha256: credential.sha256,
        lastRefresh: credential.lastRefreshText,
        source: chosen.source,
        restoredKey: chosen.cacheKey
    });
    const expires = credential.accessTokenExpiresAt;
    if (expires && expires.getTime() <= Date.now()) {
        rt.warning(`The access token expired at ${expires.toISOString()}; Codex refreshes it on first use, and the post step stores the refreshed login.`);
    }
    rt.exportVariable('CODEX_HOME', home.dir);
    rt.setOutput('codex-home', home.dir);
    rt.setOutput('auth-file', authFile);
    rt.setOutput('auth-mode', 'chatgpt');
    rt.setOutput('source', chosen.source);
    rt.setOutput('last-refresh', credential.lastRefreshText);
    rt.setOutput('access-token-expires-at', expires?.toISOString() ?? '');
    rt.setOutput('plan-type', credential.planType ?? '');
    rt.info(`Codex will use the ChatGPT login '${inputs.credentialName}' from the ${describe(chosen.source)} (last_refresh ${credential.lastRefreshText}); CODEX_HOME=${home.dir}.`);
}
function workspaceMismatch(credential, workspaceId) {
    if (!workspaceId || credential.workspaceId === workspaceId)
        return undefined;
    return `it belongs to another ChatGPT workspace than the input 'workspace-id' names (${credential.workspaceId ? 'a different account id' : 'no account id in its id token'}); log in to workspace ${workspaceId} and re-seed, or correct 'workspace-id'`;
}
/** On equal last_refresh, prefer the stored copy over the seed (the seed is usually the older original). */
function rank(candidate) {
    return candidate.source === 'cache' ? 0 : candidate.source === 'codex-home' ? 1 : 2;
}
function describe(source) {
    return source === 'cache' ? 'Actions cache' : source === 'seed' ? "seed (input 'chatgpt-auth-json')" : 'auth.json already in codex-home';
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
