import { Route, Routes } from 'react-router'

/** DashboardHome stands in for the admin dashboard, which comes next (operators, apps, users, sign-in events). */
function DashboardHome() {
  return (
    <div className="hosted">
      <main className="card">
        <h1>Dashboard</h1>
        <p className="muted">The admin dashboard is not built yet.</p>
      </main>
    </div>
  )
}

/**
 * DashboardApp is the /dashboard branch of the app, loaded lazily: it owns its routes (relative to /dashboard),
 * and will own its layout and the operator's session.
 */
export default function DashboardApp() {
  return (
    <Routes>
      <Route index element={<DashboardHome />} />
      <Route path="*" element={<DashboardHome />} />
    </Routes>
  )
}
