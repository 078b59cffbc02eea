import { Command, Option } from 'commander';
import { recomputeAll } from '../modules/risk/risk.engine.ts';
import { loadRiskRules } from '../modules/risk/risk.rules-file.ts';
import { announceDashboardChange } from './announce-dashboard-change.ts';
import { positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function recomputeRiskCommand(io: CommandIo): Command {
  return new Command('recompute-risk')
    .description("Recompute every active student's risk profile and alerts, in set-based batches")
    .addOption(new Option('--school <id>', 'only this school (its database id)').argParser(positiveInteger))
    .action(async (options: { school?: number }) => {
      await withDatabase(io, async (database, config) => {
        const rules = loadRiskRules(config.riskRulesFile);
        const started = performance.now();
        const summary = await recomputeAll(
          {
            db: database.db,
            dialect: database.dialect,
            rules,
            actor: { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null },
            now: new Date(),
          },
          {
            schoolId: options.school,
            onBatch: (done) => io.progress(`recomputed ${done.toLocaleString('en-GB')} students…`),
          },
        );
        if (io.isTerminal) io.progress('');
        io.out(
          `Recomputed ${summary.students.toLocaleString('en-GB')} students with rules ${rules.version} in ${seconds(performance.now() - started)}: ` +
            `${summary.levelChanged} changed level; alerts ${summary.alertsRaised} raised, ${summary.alertsRaisedInBand} moved to a worse band, ${summary.alertsResolved} resolved.`,
        );
        await announceDashboardChange(io, config, database.description);
      });
    });
}
