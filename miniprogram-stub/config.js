// Where the mini-program finds yijian: the one place to change it.
module.exports = {
  // Local development: `scripts/run` serves http://127.0.0.1:8000 (in WeChat DevTools tick 详情 → 本地设置 →
  // 不校验合法域名、web-view（业务域名）、TLS 版本以及 HTTPS 证书). Production: your HTTPS domain, added under
  // 开发管理 → 开发设置 → 服务器域名 → request 合法域名.
  baseUrl: 'http://127.0.0.1:8000',
  timeoutMs: 15000,
  // Against yijian's built-in WeChat sandbox, DevTools' own wx.login code means nothing to it and its cashier
  // cannot pay a sandbox prepay. With `sandbox` set, login sends `<user>:<code>` (the sandbox's code form, one
  // sandbox user per `user`) and paying opens a stand-in cashier (a modal) that pays or cancels through the
  // sandbox (POST /sandbox/wechat/control/pay). Set it to null for a live server.
  sandbox: { user: 'devtools' },
}
