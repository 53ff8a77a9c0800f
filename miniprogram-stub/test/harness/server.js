// A yijian server for the harness: `python -m app serve` from the repository's .venv, on a free port, with a
// data directory of its own; storage comes from the environment (nothing set = the embedded default).
const { spawn, spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const REPO = path.resolve(__dirname, '../../..')
const PYTHON = process.env.YIJIAN_PYTHON || path.join(REPO, '.venv', 'bin', 'python')
const READY_TIMEOUT_MS = 120000

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch (error) {
    return ''
  }
}

async function waitReady(baseUrl, child, logPath) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`yijian exited (${child.exitCode}) before it was ready:\n${tail(logPath)}`)
    try {
      const response = await fetch(baseUrl + '/readyz', { signal: AbortSignal.timeout(2000) })
      if (response.status === 200) return
    } catch (error) {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`yijian was not ready within ${READY_TIMEOUT_MS} ms:\n${tail(logPath)}`)
}

// options.embedded: ignore YIJIAN_DATABASE_URL/YIJIAN_REDIS_URL (SQLite and the in-process Redis stand-in).
async function startServer({ env: extra = {}, embedded = false, name = 'yijian' } = {}) {
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`no Python at ${PYTHON}: run scripts/test (or scripts/run) once to make .venv, or set YIJIAN_BASE_URL`)
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `yijian-mp-${name}-`))
  const env = Object.assign({}, process.env, { YIJIAN_DATA_DIR: dataDir }, extra)
  delete env.YIJIAN_BASE_URL
  if (embedded) {
    delete env.YIJIAN_DATABASE_URL
    delete env.YIJIAN_REDIS_URL
  }
  const port = await freePort()
  const logPath = path.join(dataDir, 'server.log')
  const log = fs.openSync(logPath, 'a')
  const child = spawn(PYTHON, ['-m', 'app', 'serve', '--host', '127.0.0.1', '--port', String(port)],
    { cwd: REPO, env, stdio: ['ignore', log, log] })
  fs.closeSync(log)
  const server = { name, baseUrl: `http://127.0.0.1:${port}`, dataDir, env, logPath, child }
  server.stop = () => stopServer(server)
  try {
    await waitReady(server.baseUrl, child, logPath)
  } catch (error) {
    await server.stop()
    throw error
  }
  return server
}

async function stopServer(server, { keepFiles = false } = {}) {
  const { child } = server
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000)
    await exited
    clearTimeout(timer)
  }
  if (!keepFiles) fs.rmSync(server.dataDir, { recursive: true, force: true })
}

function newOperator() {
  return { username: 'harness-' + crypto.randomBytes(4).toString('hex'), password: crypto.randomBytes(18).toString('base64url') }
}

// An operator for the admin API (products, prices, wallet credits), made by the command line against the data
// directory and database of `env` (the server's).
function createOperator(env, { username, password }) {
  // `--password=…` in one word: a random password may begin with '-', which argparse would read as an option.
  const made = spawnSync(PYTHON, ['-m', 'app', 'create-operator', `--username=${username}`, `--password=${password}`,
    '--role', 'operator'], { cwd: REPO, env, encoding: 'utf8' })
  if (made.status !== 0) throw new Error(`create-operator failed:\n${made.stdout}${made.stderr}`)
}

module.exports = { startServer, stopServer, newOperator, createOperator, tail }
