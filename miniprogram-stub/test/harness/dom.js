// The DOM miniprogram-simulate renders into: a JSDOM whose globals must exist before it is required.
const { JSDOM } = require('jsdom')

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true })
const GLOBALS = ['window', 'document', 'navigator', 'Node', 'Event', 'CustomEvent', 'HTMLElement', 'getComputedStyle']

for (const name of GLOBALS) {
  const value = name === 'window' ? dom.window : dom.window[name]
  Object.defineProperty(globalThis, name, {
    value: typeof value === 'function' && name === 'getComputedStyle' ? value.bind(dom.window) : value,
    configurable: true,
    writable: true,
  })
}

module.exports = { dom }
