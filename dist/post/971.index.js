export const id = 971;
export const ids = [971];
export const modules = {

/***/ 9971:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  keepRefreshedCredential: () => (/* binding */ keepRefreshedCredential)
});

// EXTERNAL MODULE: ./src/codex-home.ts
var codex_home = __webpack_require__(8038);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
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
    await libsodium_wrappers/* default.ready */.Ay.ready;
    const keyId = await keyIdOf(key);
    const nonce = libsodium_wrappers/* default */.Ay.randombytes_buf(libsodium_wrappers/* default */.Ay.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const ciphertext = libsodium_wrappers/* default */.Ay.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData(credentialName, keyId), null, nonce, key);
    return [PREFIX, VERSION, credentialName, keyId, b64(nonce), b64(ciphertext)].join(':');
}
async function envelope_open(envelope, key, credentialName) {
    await sodium.ready;
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
    if (!nonce || nonce.length !== sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES || !ciphertext || ciphertext.length <= sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES) {
        return { ok: false, reason: 'it is truncated or corrupted' };
    }
    try {
        const plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData(name, keyId), nonce, key, 'text');
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

;// CONCATENATED MODULE: ./src/chatgpt/post.ts
// ChatGPT mode, post step: store the login Codex refreshed, encrypted, for the next job, but only
// a valid copy that is newer than what was restored and than anything stored since.





async function keepRefreshedCredential(inputs, state, rt) {
    const text = state.authFile ? await (0,codex_home/* readFileIfExists */.QD)(state.authFile) : undefined;
    if (text === undefined) {
        rt.warning(`Not saving: ${state.authFile} is gone. Codex deletes it when it logs out (for example on a workspace mismatch with forced_chatgpt_workspace_id), or a step removed it. The stored copy is left as it was.`);
        return;
    }
    const parsed = parseCredential(text);
    secretsOf(parsed).forEach(rt.setSecret);
    if (!parsed.ok) {
        rt.warning(`Not saving: auth.json is no longer a usable ChatGPT login (${parsed.reason}). The stored copy is left as it was.`);
        return;
    }
    const credential = parsed.credential;
    if (credential.sha256 === state.authSha256) {
        rt.info('The ChatGPT login is unchanged since the main step (Codex did not refresh it): nothing to save.');
        return;
    }
    if (state.lastRefresh && compareLastRefresh(credential.lastRefreshText, state.lastRefresh) <= 0) {
        rt.warning(`Not saving: auth.json changed but its last_refresh (${credential.lastRefreshText}) is not newer than the restored copy's (${state.lastRefresh}).`);
        return;
    }
    const store = new CacheStore({ credentialName: inputs.credentialName, env: rt.env, log: rt.info });
    const newest = await store.newestKey();
    if (newest && newest !== state.restoredKey) {
        const newestMs = store.lastRefreshOfKey(newest) ?? 0;
        const concurrent = `another job stored a copy of '${inputs.credentialName}' (${newest}) after this job restored it: the credential is being used by more than one job at a time. Serialize the jobs that use it (a workflow \`concurrency\` group per credential-name, see the README), or give each stream its own credential-name.`;
        if (newestMs > credential.lastRefresh.getTime()) {
            rt.warning(`Not saving an older copy: ${concurrent}`);
            return;
        }
        rt.warning(`Saving anyway, as this copy is newer: ${concurrent}`);
    }
    const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
    const saved = await store.save(envelope, credential.lastRefresh.getTime());
    if (saved.ok) {
        rt.info(`Saved the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the Actions cache as ${saved.key}.`);
        return;
    }
    const message = `The refreshed ChatGPT login could not be saved to the Actions cache: ${saved.reason}. ` +
        `Codex rotated the refresh token in this job, so the stored copy now holds a spent token and the next job will fail to authenticate. ` +
        "To recover: on a trusted machine run `codex login`, and put the new auth.json into the secret passed as 'chatgpt-auth-json'.";
    if (inputs.onSaveFailure === 'warn')
        rt.warning(message);
    else
        throw new errors/* CredentialError */.oA(message);
}


/***/ })

};
