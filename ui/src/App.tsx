import { Route, Routes } from "react-router";
import { Layout } from "./components/Layout";
import { AssetPage } from "./pages/AssetPage";
import { AutomationPage } from "./pages/AutomationPage";
import { BackfillPage } from "./pages/BackfillPage";
import { BackfillsPage } from "./pages/BackfillsPage";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { LineagePage } from "./pages/LineagePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { OverviewPage } from "./pages/OverviewPage";
import { RunPage } from "./pages/RunPage";
import { RunsPage } from "./pages/RunsPage";
import { SchedulePage } from "./pages/SchedulePage";
import { SensorPage } from "./pages/SensorPage";

/** The UI's routes; every page sits inside the layout (navigation, definitions status). */
export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<OverviewPage />} />
        <Route path="assets" element={<LineagePage />} />
        <Route path="assets/*" element={<AssetPage />} />
        <Route path="runs" element={<RunsPage />} />
        <Route path="runs/:runId" element={<RunPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="jobs/:name" element={<JobPage />} />
        <Route path="backfills" element={<BackfillsPage />} />
        <Route path="backfills/:id" element={<BackfillPage />} />
        <Route path="automation" element={<AutomationPage />} />
        <Route path="schedules/:name" element={<SchedulePage />} />
        <Route path="sensors/:name" element={<SensorPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
