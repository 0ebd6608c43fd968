import { isObjectId } from '@chat/contracts';
import { AccessTokens } from '@chat/runtime';
import { loadGatewayConfig } from '../config/gateway-config';

/**
 * `npm run token -- <userId> [hours]`: signs an access token as the identity service would,
 * with JWT_SECRET (dev default `dev-secret`). For trying the system out and for tests.
 */
function main(): void {
  const [userId, hours = '24'] = process.argv.slice(2);
  if (!isObjectId(userId)) {
    console.error('usage: npm run token -- <userId: 24 hex digits> [hours valid, default 24]');
    process.exit(2);
  }
  const config = loadGatewayConfig();
  console.log(new AccessTokens(config.jwtSecret).sign(userId.toLowerCase(), Math.round(Number(hours) * 3600)));
}

main();
