#!/usr/bin/env node
// `npm test`: every scenario of test/scenarios, each file in its own process, one after another, against the
// yijian at YIJIAN_BASE_URL, or against one started here (storage from the environment; nothing set = the
// embedded default). The token-expiry scenario gets a second server of its own whose access tokens live
// 1 second. A run that executes no scenario fails. `npm test -- cancel` runs the files whose name has "cancel".
const fs = require('node:fs')
const path = require('node:path')
const { run } = require('node:test')
const { spec } = require('node:test/reporters')
const { startServer, newOperator, createOperator, tail } = require('./harness/server')

const SCENARIOS = path.join(__dirname, 'scenarios')
const SHORT_TTL = 'token-expiry' // the scenario file that needs access tokens that expire at once

function scenarioFiles(filters) {
  return fs.readdirSync(SCENARIOS)
    .filter((name) => name.endsWith('.test.js'))
    .filter((name) => !filters.length || filters.some((filter) => name.includes(filter)))
    .sort()
    .map((name) => path.join(SCENARIOS, name))
}

// Start the servers this run needs and make one operator (same name and password) on each; the scenario
// processes find them in the environment.
async function servers(files) {
  const wanted = []
  const external = !!process.env.YIJIAN_BASE_URL
  if (!external) wanted.push({ name: 'main', variable: 'YIJIAN_BASE_URL', env: {}, embedded: false })
  if (files.some((file) => file.includes(SHORT_TTL))) {
    // Its own embedded server: a 1-second access token (plus the server's 5 s leeway) expires mid-flow.
    wanted.push({ name: 'short-ttl', variable: 'YIJIAN_SHORT_TTL_BASE_URL', env: { YIJIAN_ACCESS_TTL_S: '1' },
      embedded: true })
  }
  const results = await Promise.allSettled(wanted.map((w) => startServer(w)))
  const started = results.filter((r) => r.status === 'fulfilled').map((r) => r.value)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) {
    await Promise.all(started.map((server) => server.stop()))
    throw failed.reason
  }
  const given = !!process.env.YIJIAN_OPERATOR_USERNAME
  const operator = given
    ? { username: process.env.YIJIAN_OPERATOR_USERNAME, password: process.env.YIJIAN_OPERATOR_PASSWORD }
    : newOperator()
  // An external server's operator: given, or made with this environment (which must name its data dir/database).
  if (external && !given) createOperator(process.env, operator)
  started.forEach((server, index) => {
    process.env[wanted[index].variable] = server.baseUrl
    createOperator(server.env, operator)
    console.log(`# ${server.name} server: ${server.baseUrl} (log: ${server.logPath})`)
  })
  process.env.YIJIAN_OPERATOR_USERNAME = operator.username
  process.env.YIJIAN_OPERATOR_PASSWORD = operator.password
  return started
}

async function main() {
  const files = scenarioFiles(process.argv.slice(2))
  if (!files.length) {
    console.error('no scenario file matches; a run that executes no scenario fails')
    return 1
  }
  const started = await servers(files)
  let executed = 0
  let failed = 0
  try {
    const stream = run({ files, concurrency: 1 })
    stream.on('test:pass', (test) => { if (test.nesting === 0 && !test.skip && !test.todo) executed += 1 })
    stream.on('test:fail', (test) => { if (test.nesting === 0) { executed += 1; failed += 1 } })
    await new Promise((resolve, reject) => {
      stream.compose(spec).pipe(process.stdout)
      stream.on('end', resolve)
      stream.on('error', reject)
    })
  } finally {
    for (const server of started) {
      if (failed) console.log(`\n# last lines of the ${server.name} server's log:\n${tail(server.logPath)}`)
      await server.stop()
    }
  }
  if (!executed) {
    console.error('no scenario was executed: that is a failure')
    return 1
  }
  console.log(`# ${executed} scenarios executed, ${failed} failed`)
  return failed ? 1 : 0
}

main().then((code) => { process.exitCode = code }, (error) => {
  console.error(error)
  process.exitCode = 1
})
