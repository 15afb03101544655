import { appBuild } from '../../tsup.app.ts';

export default appBuild();
