// The app: log in silently at launch, so the first page finds a session ready (DESIGN §3 "Login and session").
const api = require('./utils/api')

App({
  onLaunch() {
    // A failed silent login is not shown: the first request logs in again and presents its own error.
    api.ensureLogin().catch(() => {})
  },
})
