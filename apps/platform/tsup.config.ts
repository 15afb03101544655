import { appBuild } from '../../tsup.app.ts';

// main: `npm start`; migrate: the compose `migrate` job.
export default appBuild(['src/main.ts', 'src/migrate.ts']);
