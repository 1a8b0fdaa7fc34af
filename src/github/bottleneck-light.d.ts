// Bottleneck's build without clustering (the one @octokit/plugin-throttling loads) has the types of the full build.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
