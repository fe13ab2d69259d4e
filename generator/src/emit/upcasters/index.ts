export { emit, customSteps, placeholdersName, registryFactoryName, stepNames } from './emit-upcasters.js';
