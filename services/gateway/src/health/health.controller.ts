import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type HealthDependencies, type HealthReport, checkHealth } from './health-checks';

export const HEALTH_DEPENDENCIES = Symbol('HEALTH_DEPENDENCIES');

@Controller()
export class HealthController {
  constructor(@Inject(HEALTH_DEPENDENCIES) private readonly deps: HealthDependencies) {}

  @Get(['health', 'api/health'])
  async health(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await checkHealth(this.deps);
    response.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
